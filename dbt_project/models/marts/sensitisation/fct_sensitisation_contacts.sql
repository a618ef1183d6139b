-- People reached by AECID awareness activities, by audience segment: one row per activity,
-- sex and age band (the six columns of the organisers' sheets), zero segments left out.
-- In-person contacts and mass-media audiences share the grain but not the meaning:
-- filter on `channel` before adding them up.
{% set segments = [
    ("M", "15_17", "men_15_17"), ("M", "18_35", "men_18_35"), ("M", "36_plus", "men_36_plus"),
    ("F", "15_17", "women_15_17"), ("F", "18_35", "women_18_35"), ("F", "36_plus", "women_36_plus"),
] %}
with activities as (
    select
        a.*,
        t.channel
    from {{ ref('stg_aecid__activities') }} as a
    left join {{ ref('activity_types') }} as t
        on a.activity_type = t.activity_type
),

segments as (
    {% for sex, band, column in segments %}
    select
        activity_id,
        activity_date,
        activity_type,
        channel,
        funding_action,
        '{{ sex }}' as sex,
        '{{ band }}' as age_band,
        {{ column }} as people_reached
    from activities
    where {{ column }} > 0
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    {{ dbt.concat(["activity_id", "':'", "sex", "':'", "age_band"]) }} as contact_segment_id,
    activity_id,
    activity_date,
    'MLI' as country_iso3,
    activity_type,
    channel,
    sex,
    age_band,
    people_reached,
    funding_action,
    {{ is_eutf_funded('funding_action') }} as is_eutf_funded
from segments

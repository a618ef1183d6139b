-- One row per action x recipient country, with the country's share of the action. The
-- export repeats some pairs (the same line twice, or once without a percentage): the line
-- with the highest percentage is kept.
with recipients as (
    {{ rsr_rows('EUTF_akvo_recipients') }}
),

labelled as (
    select
        {{ rsr_action_id('r.iati_id') }} as iati_id,
        upper(trim(r.recipient_country)) as recipient_country_iso2,
        c.iso3 as recipient_country_iso3,
        r.recipient_percentage,
        r.budget as action_budget_eur,
        r._source_file as source_file,
        r._source_row as source_row
    from recipients as r
    left join {{ ref('countries') }} as c
        on upper(trim(r.recipient_country)) = c.iso2
),

ranked as (
    select
        *,
        row_number() over (
            partition by iati_id, recipient_country_iso2
            order by recipient_percentage desc nulls last, source_row asc
        ) as rank_in_pair
    from labelled
)

select
    iati_id,
    recipient_country_iso2,
    recipient_country_iso3,
    recipient_percentage,
    action_budget_eur,
    source_file,
    source_row
from ranked
where rank_in_pair = 1

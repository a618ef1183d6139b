-- The activities sensitisation respondents reported, one row per respondent and activity,
-- one column per question of the repeat group; respondents counted once as in
-- mart_sensitisation_survey.
select
    a.response_id,
    a.activity_index,
    r.submitted_on,
    {{ star_except(
        ref('stg_kobo__sensitisation_activities'),
        except=['response_id', 'activity_index', 'source_row', 'delivery_sha256', 'delivery_key'],
        prefix='a',
    ) }}
from {{ ref('stg_kobo__sensitisation_activities') }} as a
inner join {{ ref('int_kobo__sensitisation_responses') }} as r
    on a.response_id = r.response_id
    and a.delivery_sha256 = r.delivery_sha256

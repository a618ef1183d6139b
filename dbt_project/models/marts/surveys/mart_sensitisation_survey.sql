-- The sensitisation survey, one row per respondent (a submission counted once), one column
-- per question; the activities each respondent reported are in fct_survey_responses
-- (survey sensitisation_activites) and mart_sensitisation_survey_activities.
select
    {{ star_except(
        ref('int_kobo__sensitisation_responses'),
        except=['row_index', 'source_row', 'delivery_sha256', 'delivery_key'],
    ) }}
from {{ ref('int_kobo__sensitisation_responses') }}

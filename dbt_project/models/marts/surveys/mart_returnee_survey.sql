-- The returnee survey as analysts and the report's cross-tabulations use it: one row per
-- respondent (a submission counted once), one column per question as the questionnaire
-- names it; multiple-choice questions are one 0/1 column per option.
select
    {{ star_except(
        ref('int_kobo__returnee_responses'),
        except=['row_index', 'source_row', 'delivery_sha256', 'delivery_key'],
    ) }}
from {{ ref('int_kobo__returnee_responses') }}

-- One row per submission of the returnee questionnaire (TPML, cycles 1 and 3) in the
-- current KoBo deliveries, one column per question.
{{ kobo_responses('returnee') }}

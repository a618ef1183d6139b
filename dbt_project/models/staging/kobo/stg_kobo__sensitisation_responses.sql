-- One row per submission of the sensitisation questionnaire (TPML, cycle 3) in the current
-- KoBo deliveries, one column per question; the activities are stg_kobo__sensitisation_activities.
{{ kobo_responses('sensitisation') }}

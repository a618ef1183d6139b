-- One row per returnee-survey respondent: a submission (`_uuid`) counts once, whichever
-- exports carry it (KoBo re-exports repeat earlier submissions; the latest export wins).
{{ first_per_key(
    ref('stg_kobo__returnee_responses'), 'response_id', 'source_file desc, source_row'
) }}

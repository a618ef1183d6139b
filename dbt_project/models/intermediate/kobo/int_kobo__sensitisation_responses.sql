-- One row per sensitisation-survey respondent: a submission (`_uuid`) counts once,
-- whichever exports carry it (the latest export wins).
{{ first_per_key(
    ref('stg_kobo__sensitisation_responses'), 'response_id', 'source_file desc, source_row'
) }}

-- One row per EJOM beneficiary: an Akvo registration Instance counts once, however many
-- deliveries carry it (the earliest delivered copy wins); in a survey with data approval,
-- once approved (macros/akvo_counted.sql).
{{ first_per_key(
    ref('stg_ejom__registrations'),
    'beneficiary_id',
    'registered_on, instance, source_file',
    where=akvo_counted(),
) }}

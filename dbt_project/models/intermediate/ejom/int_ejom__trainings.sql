-- One row per EJOM training submission: an Instance counts once across deliveries and, in a
-- survey with data approval, once approved (macros/akvo_counted.sql).
{{ first_per_key(
    ref('stg_ejom__trainings'), 'instance', 'source_file, source_row', where=akvo_counted()
) }}

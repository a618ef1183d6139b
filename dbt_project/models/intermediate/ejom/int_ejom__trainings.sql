-- One row per EJOM training submission (an Instance counts once across deliveries).
{{ first_per_key(ref('stg_ejom__trainings'), 'instance', 'source_file, source_row') }}

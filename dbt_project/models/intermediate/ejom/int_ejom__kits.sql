-- One row per EJOM kit-tranche submission (an Instance counts once across deliveries).
{{ first_per_key(ref('stg_ejom__kits'), 'instance', 'source_file, source_row') }}

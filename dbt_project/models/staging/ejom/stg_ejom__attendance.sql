-- One row per training day of a training submission (the form's repeat group), current
-- deliveries only; `instance` links it to stg_ejom__trainings.
select
    instance,
    day,
    attendance_date,
    present = 'true' as is_present,
    {{ lineage_columns() }}
from {{ source('bronze_ejom', 'ejom_attendance') }}
where _sha256 in ({{ current_deliveries('ejom') }})

-- One row per training submission of the current EJOM deliveries: a beneficiary's module
-- (life skills and entrepreneurship, or technical training) with its dates and outcome.
with bronze as (
    {{ current_rows(source('bronze_ejom', 'ejom_submissions'), 'ejom', 'training-') }}
)

select
    instance,
    identifier as data_point_id,
    beneficiary_id,
    cast(submission_date as date) as submitted_on,
    module,
    start_date,
    end_date,
    days_present,
    completed = 'true' as is_completed,
    case when completed = 'true' then end_date end as completed_date,
    funding_action,
    approval_status,
    {{ lineage_columns() }}
from bronze

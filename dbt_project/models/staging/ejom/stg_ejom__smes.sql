-- One row per SME-support submission of the current EJOM deliveries: a small enterprise
-- selected for support, with the jobs it reports.
with bronze as (
    {{ current_rows(source('bronze_ejom', 'ejom_submissions'), 'ejom', 'smes-') }}
)

select
    instance,
    identifier as data_point_id,
    cast(submission_date as date) as submitted_on,
    sme_name,
    filiere,
    region,
    selected_date,
    jobs_created,
    funding_action,
    approval_status,
    {{ lineage_columns() }}
from bronze

-- One row per kit-tranche submission of the current EJOM deliveries: the first tranche
-- (70%) and the second (30%) of a beneficiary's start-up kit, in FCFA as paid.
with bronze as (
    {{ current_rows(source('bronze_ejom', 'ejom_submissions'), 'ejom', 'kits-') }}
)

select
    instance,
    identifier as data_point_id,
    beneficiary_id,
    cast(submission_date as date) as submitted_on,
    cast(tranche as integer) as tranche,
    amount_xof,
    disbursed_date,
    payment_modes,
    funding_action,
    approval_status,
    {{ lineage_columns() }}
from bronze

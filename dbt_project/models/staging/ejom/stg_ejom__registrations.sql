-- One row per registration submission of the current EJOM deliveries: a beneficiary as
-- EJOM registered them. A submission delivered twice stays twice here; the intermediate
-- layer counts an Instance once.
with bronze as (
    {{ current_rows(source('bronze_ejom', 'ejom_submissions'), 'ejom', 'registration-') }}
)

select
    identifier as beneficiary_id,
    instance,
    cast(submission_date as date) as registered_on,
    submission_date,
    sex,
    age_at_event as age_at_registration,
    region,
    cast(cohort as integer) as cohort,
    filiere,
    is_returnee = 'true' as is_returnee,
    nullif(trim(iom_case_id), '') as iom_case_id,
    funding_action,
    approval_status,
    person_key,
    last_name_pseudonym,
    first_name_pseudonym,
    date_of_birth_pseudonym,
    phone_pseudonym,
    {{ lineage_columns() }}
from bronze

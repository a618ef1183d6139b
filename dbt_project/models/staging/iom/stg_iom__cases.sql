-- One row per case per current monthly export of a mission (cumulative snapshots).
-- Superseded exports (an earlier version of a corrected month) are left out.
-- Bronze stores each distinct row once (ingest/cumulative.py): an export is its row list
-- (iom_rows) joined to the typed states, whichever delivery stored them; the export's own
-- mission, month and lineage come from the row list.
with states as (
    select *
    from {{ source('bronze_iom', 'iom_cases') }}
    where _row_fingerprint is not null
    qualify row_number() over (partition by _row_fingerprint order by _ingested_at, _sha256) = 1
),

members as (
    select *
    from {{ source('bronze_iom', 'iom_rows') }}
    where _sha256 in ({{ current_deliveries('iom') }})
),

bronze as (
    select
        states.* exclude (
            mission, report_month, _source_file, _source_row, _sha256, _delivery_key
        ),
        members.mission,
        members.report_month,
        members._source_file,
        members._source_row,
        members._sha256,
        members._delivery_key
    from members
    inner join states on members._row_fingerprint = states._row_fingerprint

    -- Deliveries loaded whole carry all their rows themselves (DuckDB: union by name).
    union all by name

    select *
    from {{ source('bronze_iom', 'iom_cases') }}
    where _row_fingerprint is null
        and _sha256 in ({{ current_deliveries('iom') }})
)

select
    case_id,
    mission as mission_iso3,
    cast(report_month || '-01' as date) as report_month,
    case_type,
    sex,
    age_at_event,
    nationality as nationality_iso3,
    host_country as host_country_iso3,
    return_type,
    movement_ref,
    departure_date,
    arrival_date,
    assisted_date,
    return_action,
    arrival_allowance_xof,
    arrival_allowance_date,
    vulnerability_screening_date,
    vulnerable,
    medical_date,
    post_arrival_action,
    psychosocial_first_date,
    psychosocial_sessions,
    psychosocial_mode,
    reintegration_start_date,
    counselling_sessions,
    reintegration_action,
    cash_date,
    household_adults,
    children_14_18,
    children_0_13,
    cash_amount_xof,
    kit_date,
    kit_type,
    kit_value_xof,
    training_centre,
    training_start_date,
    training_end_date,
    training_allowance_xof,
    transport_days,
    transport_xof,
    project_type,
    project_date,
    project_value_xof,
    ejom_referral_date,
    status,
    reintegration_completed_date,
    closed_date,
    last_updated,
    person_key,
    first_name_pseudonym,
    last_name_pseudonym,
    date_of_birth_pseudonym,
    phone_pseudonym,
    document_number_pseudonym,
    _source_file as source_file,
    _source_row as source_row,
    _sha256 as delivery_sha256,
    _delivery_key as delivery_key
from bronze

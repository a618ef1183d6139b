-- The typed states of IOM case rows: each distinct row of a mission once, as the loader
-- stored it when it first arrived (ingest/cumulative.py), whichever delivery that was and
-- whether or not it is still current. `state_key` is the row's fingerprint. Rows loaded
-- whole (no fingerprint: bronze written before fingerprints) are their own state, for
-- their current delivery only. A table: the exports (analyses/iom_case_exports), their
-- tests and int_iom__cases_latest join to it.
--
-- Incremental (append): states are never deleted or changed (a changed row is a new state),
-- so a build adds the states of the deliveries it has not seen (macros/iom_increments.sql)
-- and reads no other bronze file. A whole-loaded delivery superseded since stays, listed
-- by no current export. The monthly refresh rebuilds it whole.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}

{%- set storing = iom_deliveries_to_store() if is_incremental() else none %}

-- `not materialized`: bronze is read once per use below rather than kept whole in memory.
with bronze as {{ cte_hint(materialized=false) }} (
    select
        *,
        coalesce(
            _row_fingerprint, _sha256 || ':' || cast(_source_row as {{ dbt.type_string() }})
        ) as state_key
    from {{ source('bronze_iom', 'iom_cases') }}
    where
        (_row_fingerprint is not null or _sha256 in ({{ current_deliveries('iom') }}))
        {%- if storing is not none %}
        and {{ sql_in_strings('_sha256', storing) }}
        {%- endif %}
),

-- Two runs loading the same mission at once may both store a state: keep the first. Such
-- copies are rare, so only the keys whose hash is seen twice (a superset: hashes may
-- collide, keys do not) are ranked; every other row is its state's only copy. Ranking every
-- row sorted the whole wide bronze.
repeated as (
    select hash(state_key) as key_hash
    from bronze
    group by key_hash
    having count(*) > 1
),

first_stored as (
    select
        *,
        row_number() over (partition by state_key order by _ingested_at, _sha256) as copy
    from bronze
    where hash(state_key) in (select r.key_hash from repeated as r)

    union all

    select
        *,
        1 as copy
    from bronze
    where hash(state_key) not in (select r.key_hash from repeated as r)
)

select
    state_key,
    case_id,
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
    _sha256 as stored_by_delivery
from first_stored
where copy = 1
    {%- if storing is not none %}
    -- A state that another run's delivery stored first is already there.
    and state_key not in (select t.state_key from {{ this }} as t)
    {%- endif %}

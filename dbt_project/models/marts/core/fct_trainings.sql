-- Trainings of IOM and EJOM in one fact (conformed): one row per training module a person
-- followed. IOM: the vocational training of a returnee's reintegration (one per case);
-- EJOM: each module submission (life skills and entrepreneurship, technical training).
-- Funding follows the partner's record: IOM's reintegration action, EJOM's action.
with iom as (
    select
        {{ dbt.concat(["'IOM:'", "mission_iso3", "':'", "case_id"]) }} as training_id,
        'iom' as partner_id,
        mission_iso3 as country_iso3,
        {{ dbt.concat(["mission_iso3", "':'", "case_id"]) }} as beneficiary_key,
        sex,
        {{ age_band('age_at_event') }} as age_band,
        'training' as activity_type,
        training_centre as provider,
        training_start_date as start_date,
        training_end_date as end_date,
        cast(null as bigint) as days_present,
        training_end_date is not null as is_completed,
        training_end_date as completed_date,
        coalesce(training_allowance_xof, 0) + coalesce(transport_xof, 0) as allowances_xof,
        reintegration_action as funding_action
    from {{ ref('int_iom__cases_latest') }}
    where case_type = 'returnee' and training_start_date is not null
),

ejom as (
    select
        {{ dbt.concat(["'EJOM:'", "cast(t.instance as " ~ dbt.type_string() ~ ")"]) }},
        'snv',
        'MLI',
        -- a submission whose registration is not delivered yet keeps its EJOM key
        {{ ejom_beneficiary_key('t.beneficiary_id', 'b.beneficiary_key') }},
        b.sex,
        b.age_band,
        t.module,
        'EJOM',
        t.start_date,
        t.end_date,
        t.days_present,
        t.is_completed,
        t.completed_date,
        cast(null as double),
        t.funding_action
    from {{ ref('int_ejom__trainings') }} as t
    left join {{ ref('int_ejom__beneficiary_keys') }} as b
        on t.beneficiary_id = b.beneficiary_id
),

trainings as (
    select * from iom
    union all
    select * from ejom
)

select
    training_id,
    partner_id,
    country_iso3,
    beneficiary_key,
    sex,
    age_band,
    activity_type,
    provider,
    start_date,
    end_date,
    -- dbt.datediff expands to one line longer than the limit: LT05 is waived here.
    cast({{ dbt.datediff('start_date', 'end_date', 'day') }} + 1 as bigint) as duration_days,  -- noqa: LT05
    days_present,
    is_completed,
    completed_date,
    allowances_xof,
    {{ xof_to_eur('allowances_xof') }} as allowances_eur,
    funding_action,
    {{ is_eutf_funded('funding_action') }} as is_eutf_funded
from trainings

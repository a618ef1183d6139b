-- Material and financial support in one fact (conformed): IOM's in-kind kits, cash cheques
-- and project support, and EJOM's start-up kit tranches. One row per disbursement, amounts
-- in FCFA as paid and in euros at the peg (var xof_per_eur).
with iom as (
    select
        {{ dbt.concat(["'IOM:'", "event_id"]) }} as kit_id,
        'iom' as partner_id,
        mission_iso3 as country_iso3,
        case_key as beneficiary_key,
        sex,
        age_band,
        event_type as activity_type,
        cast(null as integer) as tranche,
        detail,
        event_date as disbursed_date,
        amount_xof,
        funding_action
    from {{ ref('fct_assistance_events') }}
    where event_type in ('kit', 'cash', 'project')
),

ejom as (
    select
        {{ dbt.concat(["'EJOM:'", "cast(k.instance as " ~ dbt.type_string() ~ ")"]) }},
        'snv',
        'MLI',
        -- a submission whose registration is not delivered yet keeps its EJOM key
        {{ ejom_beneficiary_key('k.beneficiary_id', 'b.beneficiary_key') }},
        b.sex,
        b.age_band,
        'kit_tranche',
        k.tranche,
        k.payment_modes,
        k.disbursed_date,
        k.amount_xof,
        k.funding_action
    from {{ ref('int_ejom__kits') }} as k
    left join {{ ref('int_ejom__beneficiary_keys') }} as b
        on k.beneficiary_id = b.beneficiary_id
),

kits as (
    select * from iom
    union all
    select * from ejom
)

select
    kit_id,
    partner_id,
    country_iso3,
    beneficiary_key,
    sex,
    age_band,
    activity_type,
    tranche,
    detail,
    disbursed_date,
    amount_xof,
    {{ xof_to_eur('amount_xof') }} as amount_eur,
    funding_action,
    {{ is_eutf_funded('funding_action') }} as is_eutf_funded
from kits

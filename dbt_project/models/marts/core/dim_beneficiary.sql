-- One row per person the warehouse knows from case-level data, pseudonymous: every IOM case
-- (returnees and migrants in transit, all missions) and every EJOM beneficiary not linked
-- to an IOM case. A linked EJOM beneficiary is the IOM case's row (beneficiary_key is the
-- case's), with its EJOM identifier beside it: that is what lets facts of both partners
-- meet on one person. Survey respondents and AECID audiences are anonymous counts, not here.
with iom as (
    select
        {{ dbt.concat(["mission_iso3", "':'", "case_id"]) }} as beneficiary_key,
        person_key,
        sex,
        age_at_event,
        nationality_iso3,
        mission_iso3 as country_iso3,
        case_type,
        closed_date,
        {{ dbt.concat(["mission_iso3", "':'", "case_id"]) }} as iom_case_key
    from {{ ref('int_iom__cases_latest') }}
),

ejom as (
    select
        r.beneficiary_id,
        r.person_key,
        r.sex,
        r.age_at_registration,
        r.is_returnee,
        r.cohort,
        r.registered_on,
        l.case_key,
        l.match_rule,
        l.is_referred_by_iom
    from {{ ref('int_ejom__registrations') }} as r
    left join {{ ref('int_beneficiary_links') }} as l
        on r.beneficiary_id = l.beneficiary_id
)

select
    i.beneficiary_key,
    i.person_key,
    i.sex,
    i.age_at_event as age,
    {{ age_band('i.age_at_event') }} as age_band,
    i.nationality_iso3,
    i.country_iso3,
    i.case_type = 'returnee' as is_returnee,
    true as is_iom_case,
    i.case_type as iom_case_type,
    i.iom_case_key,
    i.closed_date as iom_case_closed_on,
    e.beneficiary_id as ejom_beneficiary_id,
    e.cohort as ejom_cohort,
    e.registered_on as ejom_registered_on,
    e.is_returnee as ejom_declared_returnee,
    e.match_rule as ejom_link_rule,
    coalesce(e.is_referred_by_iom, false) as is_referred_to_ejom
from iom as i
left join ejom as e
    on i.iom_case_key = e.case_key

union all

select
    {{ ejom_beneficiary_key('beneficiary_id') }},
    person_key,
    sex,
    age_at_registration,
    {{ age_band('age_at_registration') }},
    cast(null as {{ dbt.type_string() }}),
    'MLI',
    is_returnee,
    false,
    cast(null as {{ dbt.type_string() }}),
    cast(null as {{ dbt.type_string() }}),
    cast(null as date),
    beneficiary_id,
    cohort,
    registered_on,
    is_returnee,
    cast(null as {{ dbt.type_string() }}),
    false
from ejom
where case_key is null

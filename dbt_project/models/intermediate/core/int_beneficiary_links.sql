-- Which EJOM beneficiaries are IOM returnees, on pseudonymous keys only. A pair (EJOM
-- beneficiary, IOM returnee case of the Mali mission) is linked by the first rule it meets:
--   1. iom_case_number: the registration carries the case number of an IOM returnee case
--      (IOM referred the person to EJOM);
--   2. phone_and_birth_date: same phone and same date of birth (both normalised before
--      hashing: case, accents, country code).
-- Names and date of birth alone (person_key) are not enough: common names collide (two false
-- links in the scale-1 sample). A beneficiary whose rule-2 evidence points to several cases
-- is left unlinked. docs/linkage.md gives the precision measured against the sample's truth.
with ejom as (
    select
        beneficiary_id,
        iom_case_id,
        phone_pseudonym,
        date_of_birth_pseudonym
    from {{ ref('int_ejom__registrations') }}
),

iom as (
    select
        mission_iso3,
        case_id,
        phone_pseudonym,
        date_of_birth_pseudonym
    from {{ ref('int_iom__cases_latest') }}
    where case_type = 'returnee' and mission_iso3 = 'MLI'
),

by_case_number as (
    select
        e.beneficiary_id,
        i.mission_iso3,
        i.case_id,
        'iom_case_number' as match_rule
    from ejom as e
    inner join iom as i
        on e.iom_case_id = i.case_id
),

by_phone_and_birth_date as (
    select
        e.beneficiary_id,
        i.mission_iso3,
        i.case_id,
        'phone_and_birth_date' as match_rule
    from ejom as e
    inner join iom as i
        on e.phone_pseudonym = i.phone_pseudonym
        and e.date_of_birth_pseudonym = i.date_of_birth_pseudonym
    where e.beneficiary_id not in (select c.beneficiary_id from by_case_number as c)
),

unambiguous as (
    select beneficiary_id
    from by_phone_and_birth_date
    group by beneficiary_id
    having count(*) = 1
)

select
    beneficiary_id,
    {{ dbt.concat(["mission_iso3", "':'", "case_id"]) }} as case_key,
    case_id as iom_case_id,
    match_rule,
    true as is_referred_by_iom
from by_case_number

union all

select
    l.beneficiary_id,
    {{ dbt.concat(["l.mission_iso3", "':'", "l.case_id"]) }},
    l.case_id,
    l.match_rule,
    false
from by_phone_and_birth_date as l
inner join unambiguous as u
    on l.beneficiary_id = u.beneficiary_id

-- The warehouse-wide beneficiary_key of each EJOM beneficiary: the IOM case's key when the
-- person is linked to an IOM returnee case (int_beneficiary_links), else `EJOM:<id>`;
-- with sex and age band from the registration, for the EJOM rows of conformed facts.
select
    r.beneficiary_id,
    {{ ejom_beneficiary_key('r.beneficiary_id', 'l.case_key') }} as beneficiary_key,
    r.sex,
    r.age_at_registration,
    {{ age_band('r.age_at_registration') }} as age_band,
    r.cohort,
    r.region,
    r.is_returnee or l.case_key is not null as is_returnee,
    l.case_key is not null and l.is_referred_by_iom as is_referred_by_iom,
    r.funding_action
from {{ ref('int_ejom__registrations') }} as r
left join {{ ref('int_beneficiary_links') }} as l
    on r.beneficiary_id = l.beneficiary_id

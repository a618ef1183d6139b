-- IOM returnees referred to EJOM, and how far they went: referred (IOM's referral event),
-- enrolled (an EJOM registration linked to the case), trained (an EJOM module completed),
-- kit received (the first tranche of the start-up kit). Grain: one row per country,
-- referral quarter and stage; `people` counts distinct persons, `share_of_referred` is of
-- the quarter's referrals.
with referred as (
    select
        case_key as beneficiary_key,
        mission_iso3 as country_iso3,
        min(event_date) as referred_on
    from {{ ref('fct_assistance_events') }}
    where event_type = 'ejom_referral'
    group by case_key, mission_iso3
),

progress as (
    select
        r.country_iso3,
        cast({{ dbt.date_trunc('quarter', 'r.referred_on') }} as date) as referral_quarter,
        r.beneficiary_key,
        b.ejom_beneficiary_id is not null as is_enrolled,
        r.beneficiary_key in (
            select t.beneficiary_key from {{ ref('fct_trainings') }} as t
            where t.partner_id = 'snv' and t.is_completed
        ) as is_trained,
        r.beneficiary_key in (
            select k.beneficiary_key from {{ ref('fct_kits') }} as k
            where k.activity_type = 'kit_tranche' and k.tranche = 1
        ) as has_kit
    from referred as r
    left join {{ ref('dim_beneficiary') }} as b
        on r.beneficiary_key = b.beneficiary_key
),

stages as (
    select
        country_iso3,
        referral_quarter,
        1 as stage_order,
        'referred' as stage,
        count(*) as people
    from progress
    group by country_iso3, referral_quarter
    union all
    select
        country_iso3,
        referral_quarter,
        2,
        'enrolled',
        sum(case when is_enrolled then 1 else 0 end)
    from progress
    group by country_iso3, referral_quarter
    union all
    select
        country_iso3,
        referral_quarter,
        3,
        'trained',
        sum(case when is_enrolled and is_trained then 1 else 0 end)
    from progress
    group by country_iso3, referral_quarter
    union all
    select
        country_iso3,
        referral_quarter,
        4,
        'kit_received',
        sum(case when is_enrolled and has_kit then 1 else 0 end)
    from progress
    group by country_iso3, referral_quarter
)

select
    s.country_iso3,
    s.referral_quarter,
    s.stage_order,
    s.stage,
    cast(s.people as bigint) as people,
    cast(s.people as double) / nullif(r.people, 0) as share_of_referred
from stages as s
inner join stages as r
    on s.country_iso3 = r.country_iso3
    and s.referral_quarter = r.referral_quarter
    and r.stage = 'referred'

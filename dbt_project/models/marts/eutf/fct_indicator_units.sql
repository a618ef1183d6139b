-- What each EUTF indicator counts, one row per counted unit and action, from the microdata:
-- a unit counts once per action, on the date it first qualified (later assistance to the
-- same person does not count it again). The registry seed eutf_indicators says the same in
-- words. IOM indicators count cases: in IOM's case management a case is a person; EJOM
-- beneficiaries are people (beneficiary_key); 3.3 counts contacts, so its unit is an
-- activity and `unit_count` carries the potential migrants it reached.
with units as (
    -- 3.2 migrants in transit protected or assisted, 3.5 post-arrival assistance (the
    -- arrival allowance), 3.5 bis reintegration assistance (counted once when it starts)
    select
        case event_type
            when 'protection' then '3.2'
            when 'arrival_allowance' then '3.5'
            else '3.5 bis'
        end as indicator_code,
        funding_action as iati_id,
        mission_iso3 as country_iso3,
        case_key as unit_id,
        sex,
        age_band,
        event_date as unit_date,
        1 as unit_count
    from {{ ref('fct_assistance_events') }}
    where event_type in ('protection', 'arrival_allowance', 'reintegration_start')
        and is_eutf_funded

    union all

    -- 3.4 voluntary returns: departures assisted from the mission's country
    select
        '3.4',
        funding_action,
        mission_iso3,
        return_id,
        sex,
        age_band,
        return_date,
        1
    from {{ ref('fct_returns') }}
    where perspective = 'departure' and is_eutf_funded

    union all

    -- 1.3 income-generating activities: a first start-up kit tranche (EJOM) or project
    -- support (IOM reintegration)
    select
        '1.3',
        funding_action,
        country_iso3,
        beneficiary_key,
        sex,
        age_band,
        disbursed_date,
        1
    from {{ ref('fct_kits') }}
    where is_eutf_funded
        and ((activity_type = 'kit_tranche' and tranche = 1) or activity_type = 'project')

    union all

    -- 1.4 professional training: a completed training module, IOM's or EJOM's
    select
        '1.4',
        funding_action,
        country_iso3,
        beneficiary_key,
        sex,
        age_band,
        completed_date,
        1
    from {{ ref('fct_trainings') }}
    where is_eutf_funded and is_completed

    union all

    -- 3.3 (potential) migrants reached: the potential migrants the organisers counted at
    -- each activity, in person or through mass media
    select
        '3.3',
        funding_action,
        country_iso3,
        activity_id,
        null,
        'unknown',
        activity_date,
        potential_migrants
    from {{ ref('fct_sensitisation_activities') }}
    where is_eutf_funded
)

select
    indicator_code,
    iati_id,
    unit_id,
    min(country_iso3) as country_iso3,
    min(sex) as sex,
    min(age_band) as age_band,
    min(unit_date) as first_qualified_on,
    max(unit_count) as unit_count
from units
group by indicator_code, iati_id, unit_id

-- What each EUTF indicator counts, one row per counted unit and action, from the microdata:
-- a unit counts once per action, on the date it first qualified (later assistance to the
-- same case does not count it again). The registry seed eutf_indicators says the same in
-- words. IOM indicators count cases: in IOM's case management a case is a person.
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
        event_date as unit_date
    from {{ ref('fct_assistance_events') }}
    where event_type in ('protection', 'arrival_allowance', 'reintegration_start')
        and is_eutf_funded

    union all

    -- 3.4 voluntary returns: departures assisted from the mission's country
    select
        '3.4', funding_action, mission_iso3, return_id, sex, age_band, return_date
    from {{ ref('fct_returns') }}
    where perspective = 'departure' and is_eutf_funded
)

select
    indicator_code,
    iati_id,
    unit_id,
    min(country_iso3) as country_iso3,
    min(sex) as sex,
    min(age_band) as age_band,
    min(unit_date) as first_qualified_on
from units
group by indicator_code, iati_id, unit_id

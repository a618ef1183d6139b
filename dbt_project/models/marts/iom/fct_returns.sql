-- One row per return movement IOM recorded. Two views of a return exist: the mission of the
-- country a foreign migrant leaves records the assisted departure (transit case,
-- perspective 'departure'); the mission of the home country records the arrival (returnee
-- case, perspective 'arrival'). EUTF 3.4 counts departures, under the action that funded them.
with cases as (
    select * from {{ ref('int_iom__cases_latest') }}
),

returns as (
    select
        *,
        case when case_type = 'transit' then 'departure' else 'arrival' end as perspective
    from cases
    where (case_type = 'transit' and departure_date is not null)
        or (case_type = 'returnee' and arrival_date is not null)
)

select
    {{ dbt.concat(["mission_iso3", "':'", "case_id"]) }} as return_id,
    case_id,
    mission_iso3,
    perspective,
    person_key,
    sex,
    age_at_event,
    {{ age_band('age_at_event') }} as age_band,
    nationality_iso3,
    case when perspective = 'departure' then mission_iso3 else host_country_iso3 end
        as from_country_iso3,
    case when perspective = 'departure' then nationality_iso3 else mission_iso3 end
        as to_country_iso3,
    return_type,
    movement_ref,
    departure_date,
    arrival_date,
    case when perspective = 'departure' then departure_date else arrival_date end
        as return_date,
    return_action as funding_action,
    {{ is_eutf_funded('return_action') }} as is_eutf_funded
from returns

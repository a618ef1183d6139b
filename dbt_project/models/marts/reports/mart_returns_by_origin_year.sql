-- Returns by country of origin (the country people returned to), host country and year,
-- each return counted once: as the arrival its origin's IOM mission records, or, where no
-- mission in the data records arrivals in that country (a return to a country outside the
-- missions that deliver), as the departure the host country's mission records.
with returns as (
    select * from {{ ref('fct_returns') }}
),

arrival_missions as (
    select distinct mission_iso3
    from returns
    where perspective = 'arrival'
),

counted as (
    select
        to_country_iso3 as origin_country_iso3,
        from_country_iso3 as host_country_iso3,
        perspective,
        cast(extract(year from return_date) as integer) as return_year
    from returns
    where
        perspective = 'arrival'
        or to_country_iso3 not in (select a.mission_iso3 from arrival_missions as a)
)

select
    origin_country_iso3,
    host_country_iso3,
    return_year,
    cast(count(*) as {{ dbt.type_bigint() }}) as returns,
    cast(sum(case when perspective = 'departure' then 1 else 0 end) as {{ dbt.type_bigint() }})
        as returns_seen_at_departure
from counted
group by 1, 2, 3

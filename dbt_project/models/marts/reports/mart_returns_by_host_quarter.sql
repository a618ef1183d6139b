-- Returns home by the country people came back from, per quarter (the Mali report's table of
-- returns by host country). Arrivals only: a return from a transit country is counted once,
-- in the country of origin (its funding is the departure's, in fct_returns). Grain: country
-- of return, host country, quarter.
select
    mission_iso3 as country_iso3,
    from_country_iso3 as host_country_iso3,
    cast({{ dbt.date_trunc('quarter', 'return_date') }} as date) as return_quarter,
    count(*) as returns
from {{ ref('fct_returns') }}
where perspective = 'arrival'
group by 1, 2, 3

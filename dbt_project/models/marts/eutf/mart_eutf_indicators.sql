-- EUTF common output indicators computed from the microdata, by country, action, quarter,
-- sex and age band: new units in the quarter and the cumulative count to its end, for
-- every quarter from a disaggregation's first unit to the latest quarter with data.
with units as (
    select
        *,
        cast({{ dbt.date_trunc('quarter', 'first_qualified_on') }} as date) as quarter_start
    from {{ ref('fct_indicator_units') }}
),

-- The programme's quarters (vars programme_start to programme_end), from the calendar.
quarters as (
    select distinct quarter_start
    from {{ ref('dim_date') }}
),

per_quarter as (
    select
        indicator_code,
        country_iso3,
        iati_id,
        sex,
        age_band,
        quarter_start,
        cast(sum(unit_count) as bigint) as value_in_quarter
    from units
    group by indicator_code, country_iso3, iati_id, sex, age_band, quarter_start
),

series as (
    select
        indicator_code,
        country_iso3,
        iati_id,
        sex,
        age_band,
        min(quarter_start) as first_quarter
    from per_quarter
    group by indicator_code, country_iso3, iati_id, sex, age_band
),

grid as (
    select
        s.*,
        q.quarter_start
    from series as s
    inner join quarters as q
        on s.first_quarter <= q.quarter_start
        and q.quarter_start <= (select max(p.quarter_start) from per_quarter as p)
)

select
    g.indicator_code,
    i.label_en as indicator_label,
    g.country_iso3,
    g.iati_id,
    g.quarter_start,
    g.sex,
    g.age_band,
    coalesce(p.value_in_quarter, 0) as value_in_quarter,
    cast(sum(coalesce(p.value_in_quarter, 0)) over (
        partition by g.indicator_code, g.country_iso3, g.iati_id, g.sex, g.age_band
        order by g.quarter_start
        rows between unbounded preceding and current row
    ) as bigint) as value_cumulative
from grid as g
inner join {{ ref('eutf_indicators') }} as i
    on g.indicator_code = i.indicator_code
left join per_quarter as p
    on g.indicator_code = p.indicator_code
    and g.iati_id = p.iati_id
    and g.quarter_start = p.quarter_start
    and g.country_iso3 is not distinct from p.country_iso3
    and g.sex is not distinct from p.sex
    and g.age_band = p.age_band

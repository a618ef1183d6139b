-- Yearly detections by nationality, with each SLC nationality's share of the detections
-- of all 13 SLC nationalities that year (Figure 1 of the Mali report).
with yearly as (
    select
        year,
        nationality_iso3,
        is_slc_nationality,
        cast(sum(detections) as bigint) as detections,
        count(distinct month_start) as months_reported,
        max(frontex_release) as frontex_release
    from {{ ref('fct_irregular_crossings') }}
    group by year, nationality_iso3, is_slc_nationality
),

slc_totals as (
    select
        year,
        cast(sum(detections) as bigint) as slc_detections
    from yearly
    where is_slc_nationality
    group by year
)

select
    y.year,
    y.nationality_iso3,
    c.name_en as nationality_en,
    c.name_fr as nationality_fr,
    y.is_slc_nationality,
    y.detections,
    t.slc_detections,
    case
        when y.is_slc_nationality and t.slc_detections > 0
            then cast(y.detections as double) / t.slc_detections
    end as share_of_slc,
    y.months_reported,
    y.frontex_release
from yearly as y
inner join {{ ref('dim_country') }} as c
    on y.nationality_iso3 = c.country_iso3
left join slc_totals as t
    on y.year = t.year

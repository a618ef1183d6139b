-- The weight of the SLC countries' nationals in Frontex's detections of irregular border
-- crossings, by route and year: all detections, those of the 13 SLC nationalities, of
-- Malians, and the shares. Grain: one row per route and year (route 'All routes' adds
-- them up). Years with fewer than 12 months reported are flagged.
with by_route as (
    select
        route,
        year,
        count(distinct month_start) as months_reported,
        cast(sum(detections) as bigint) as detections,
        cast(
            sum(case when is_slc_nationality then detections else 0 end) as bigint
        ) as slc_detections,
        cast(
            sum(case when nationality_iso3 = 'MLI' then detections else 0 end) as bigint
        ) as mali_detections
    from {{ ref('fct_irregular_crossings') }}
    group by route, year
),

all_routes as (
    select
        'All routes' as route,
        year,
        max(months_reported) as months_reported,
        cast(sum(detections) as bigint) as detections,
        cast(sum(slc_detections) as bigint) as slc_detections,
        cast(sum(mali_detections) as bigint) as mali_detections
    from by_route
    group by year
),

routes as (
    select * from by_route
    union all
    select * from all_routes
)

select
    route,
    cast(year as integer) as year,
    cast(months_reported as integer) as months_reported,
    months_reported = 12 as is_full_year,
    detections,
    slc_detections,
    mali_detections,
    cast(slc_detections as double) / nullif(detections, 0) as slc_share,
    cast(mali_detections as double) / nullif(detections, 0) as mali_share,
    cast(mali_detections as double) / nullif(slc_detections, 0) as mali_share_of_slc
from routes

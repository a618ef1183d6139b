-- Frontex detections of irregular border crossings by route, border type, nationality, month.
select
    s.month_start,
    cast({{ dbt.date_trunc('year', 's.month_start') }} as date) as year_start,
    cast(extract(year from s.month_start) as bigint) as year,
    s.route,
    s.border_type,
    s.nationality_iso3,
    s.nationality_name,
    c.is_slc as is_slc_nationality,
    s.detections,
    s.source_file,
    s.frontex_release,
    s.delivery_key
from {{ ref('stg_frontex__detections') }} as s
inner join {{ ref('dim_country') }} as c
    on s.nationality_iso3 = c.country_iso3

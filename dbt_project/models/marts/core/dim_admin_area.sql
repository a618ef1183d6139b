-- Administrative areas (Mali's regions and cercles, Bamako's communes) from the registry
-- seed; area_id is `<ISO3>:<region>[:<cercle>]` with the names slugged (no accents, lower
-- case), which is how the partner feeds code their regions.
select
    a.area_id,
    a.country_iso3,
    a.level,
    a.name,
    a.iso_3166_2,
    a.parent_area_id,
    coalesce(p.name, a.name) as region_name
from {{ ref('admin_areas') }} as a
left join {{ ref('admin_areas') }} as p
    on a.parent_area_id = p.area_id

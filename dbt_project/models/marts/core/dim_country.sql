-- Conformed country dimension, straight from the registry seed.
select
    iso3 as country_iso3,
    iso2 as country_iso2,
    name_en,
    name_fr,
    is_country,
    is_slc,
    is_surveyed,
    iso_numeric as country_iso_numeric
from {{ ref('countries') }}

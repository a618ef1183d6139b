{#- The one spelling of an administrative area's id (dim_admin_area): `<ISO3>:<name>` with the
    name in lower case, without accents, other characters as "_" ("Ségou" -> MLI:segou).
    Engine-specific string functions (macros/regex.sql): staging only. The questionnaires'
    area choice codes are already spelled so (var survey_area_lists). -#}
{% macro area_id(country_iso3, name) -%}
    {{ country_iso3 }} || ':'
    || {{ regexp_replace_all(
        "lower(" ~ strip_accents("trim(" ~ name ~ ")") ~ ")", "'[^a-z0-9]+'", "'_'"
    ) }}
{%- endmacro %}

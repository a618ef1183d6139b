{#- A place name as the registry's ids spell it: lower case, no accents, '_' between words
    (dim_admin_area.area_id). strip_accents is DuckDB's; other engines override the macro. -#}
{% macro slug(name) -%}
    {{ return(adapter.dispatch('slug')(name)) }}
{%- endmacro %}

{% macro default__slug(name) -%}
    regexp_replace(lower(strip_accents(trim({{ name }}))), '[^a-z0-9]+', '_', 'g')
{%- endmacro %}

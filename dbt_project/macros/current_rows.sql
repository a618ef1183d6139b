{#- The bronze rows of a feed's current deliveries (current_deliveries), optionally only
    those of the deliveries whose key starts with `key_prefix` (one EJOM form, one survey). -#}
{% macro current_rows(relation, feed, key_prefix=none) -%}
    select *
    from {{ relation }}
    where _sha256 in ({{ current_deliveries(feed) }})
    {%- if key_prefix %}
        and _delivery_key like '{{ key_prefix }}%'
    {%- endif %}
{%- endmacro %}

{#- The lineage columns every staging model keeps, renamed: file, row, delivery. -#}
{% macro lineage_columns(alias=none) -%}
    {%- set p = (alias ~ ".") if alias else "" -%}
    {{ p }}_source_file as source_file,
    {{ p }}_source_row as source_row,
    {{ p }}_sha256 as delivery_sha256,
    {{ p }}_delivery_key as delivery_key
{%- endmacro %}

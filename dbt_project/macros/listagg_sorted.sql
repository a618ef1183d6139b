{#- A sorted, delimited list of a column's values per group: dbt's cross-database listagg
    with an ordering (string_agg on DuckDB, listagg on Snowflake...). -#}
{% macro listagg_sorted(column, delimiter) -%}
    {{ dbt.listagg(column, delimiter, "order by " ~ column) }}
{%- endmacro %}

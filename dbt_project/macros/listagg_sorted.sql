{#- A sorted, delimited list of a column's values per group: dbt's cross-database listagg
    with an ordering (string_agg on DuckDB, listagg on Snowflake...). dbt-spark's listagg
    ignores the ordering, so Spark sorts the collected list itself; a group with no value
    gives null there too. -#}
{% macro listagg_sorted(column, delimiter) -%}
    {{ return(adapter.dispatch('listagg_sorted')(column, delimiter)) }}
{%- endmacro %}

{% macro default__listagg_sorted(column, delimiter) -%}
    {{ dbt.listagg(column, delimiter, "order by " ~ column) }}
{%- endmacro %}

{% macro spark__listagg_sorted(column, delimiter) -%}
    case when count({{ column }}) > 0
        then array_join(array_sort(collect_list({{ column }})), {{ delimiter }})
    end
{%- endmacro %}

{#- Every column of a relation but some, as an explicit list (dbt_utils.star, which the
    unreachable package hub would provide; DuckDB's `* exclude` is not portable). A relation
    whose columns the adapter cannot list (a unit test's fixture) gives `*`: its extra
    columns are not among those a unit test compares. -#}
{% macro star_except(relation, except=[], prefix=none) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    {%- if not columns -%}{{ (prefix ~ ".") if prefix }}*{%- else -%}
    {%- for column in columns if column.name | lower not in except | map('lower') | list -%}
        {{ (prefix ~ ".") if prefix }}{{ adapter.quote(column.name) }}{{ ", " if not loop.last }}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

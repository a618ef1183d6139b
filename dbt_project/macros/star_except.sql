{#- Every column of a relation but some, as an explicit list (dbt_utils.star, which the
    unreachable package hub would provide; DuckDB's `* exclude` is not portable). -#}
{% macro star_except(relation, except=[], prefix=none) -%}
    {%- if not execute -%}{{ (prefix ~ ".") if prefix }}*{%- else -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {%- for column in columns if column.name | lower not in except | map('lower') | list -%}
        {{ (prefix ~ ".") if prefix }}{{ adapter.quote(column.name) }}{{ ", " if not loop.last }}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- A common table expression's evaluation hint: `materialized` (compute once, keep) or
    `not materialized` (inline at each use), which DuckDB (and PostgreSQL) honour; an engine
    without the hint (Spark plans CTEs itself) gets none. Only speed depends on it. -#}
{% macro cte_hint(materialized) -%}
    {{ return(adapter.dispatch('cte_hint')(materialized)) }}
{%- endmacro %}

{% macro default__cte_hint(materialized) -%}
    {{ "materialized" if materialized else "not materialized" }}
{%- endmacro %}

{% macro spark__cte_hint(materialized) -%}
{%- endmacro %}

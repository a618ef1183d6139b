{#- One row per day (`date_day`) from `start_date` up to, not including, `end_date` (SQL
    date expressions). dbt's date_spine everywhere but on Spark, where dbt-spark's day
    arithmetic goes through Unix timestamps and gives no row once `timestamp` means a time
    without zone (profiles.yml): Spark spells the spine as a sequence instead. -#}
{% macro day_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_spine')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__day_spine(start_date, end_date) -%}
    {{ dbt.date_spine('day', start_date, end_date) }}
{%- endmacro %}

{% macro spark__day_spine(start_date, end_date) -%}
    select explode(sequence({{ start_date }}, date_sub({{ end_date }}, 1))) as date_day
{%- endmacro %}

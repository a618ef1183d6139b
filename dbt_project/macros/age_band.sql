{#- The EUTF disaggregation bands of an age in years. -#}
{% macro age_band(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 18 then 'under_18'
        when {{ age }} <= 35 then '18_35'
        else '36_plus'
    end
{%- endmacro %}

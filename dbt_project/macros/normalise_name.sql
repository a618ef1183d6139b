{# The one rule for matching a name against the country registry's aliases:
   case, surrounding spaces and typographic apostrophes do not matter. #}
{% macro normalise_name(expression) -%}
    lower(trim(replace({{ expression }}, '’', '''')))
{%- endmacro %}

{#- A list of strings as SQL literals: ['a', 'b'] -> 'a', 'b' (for `in (...)`). -#}
{% macro quoted(values) -%}
    {%- for value in values %}{{ string_literal(value) }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

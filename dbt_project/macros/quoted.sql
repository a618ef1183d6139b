{#- A list of strings as SQL literals: ['a', 'b'] -> 'a', 'b' (for `in (...)`). -#}
{% macro quoted(values) -%}
    {%- for value in values %}'{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

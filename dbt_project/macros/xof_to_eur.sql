{#- An amount in CFA francs (XOF) in euros at the fixed peg (var xof_per_eur). -#}
{% macro xof_to_eur(amount) -%}
    round(({{ amount }}) / {{ var('xof_per_eur') }}, 2)
{%- endmacro %}

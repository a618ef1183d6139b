{#- Whether the action that funded a unit is an EUTF action (IATI ids T05-EUTF-...): only
    those count for the EUTF indicators. The one place the rule is written. -#}
{% macro is_eutf_funded(funding_action) -%}
    coalesce({{ funding_action }} like 'T05-EUTF-%', false)
{%- endmacro %}

{#- dim_partner's id of an organisation that runs AECID activities, from its name. -#}
{% macro aecid_organisation_id(organisation) -%}
    {{ dbt.concat(["'aecid:'", "lower(replace(" ~ organisation ~ ", ' ', '-'))"]) }}
{%- endmacro %}

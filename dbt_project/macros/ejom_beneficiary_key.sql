{#- The warehouse-wide key of an EJOM beneficiary: the IOM case's key when the person is
    linked to an IOM case (int_beneficiary_links), else `EJOM:<registration id>`. The one
    place the rule is written (the intermediate keys, dim_beneficiary and the EJOM rows of
    the conformed facts use it). -#}
{% macro ejom_beneficiary_key(beneficiary_id, case_key=none) -%}
    {%- set own = dbt.concat(["'EJOM:'", beneficiary_id]) -%}
    {%- if case_key -%}coalesce({{ case_key }}, {{ own }}){%- else -%}{{ own }}{%- endif -%}
{%- endmacro %}

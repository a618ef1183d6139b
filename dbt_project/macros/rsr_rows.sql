{#- Current bronze rows of one table of the EUTF results export. -#}
{% macro rsr_rows(table) -%}
    select *
    from {{ source('bronze_eutf_rsr', 'eutf_rsr_export') }}
    where rsr_table = '{{ table }}'
      and _sha256 in ({{ current_deliveries('eutf_rsr') }})
{%- endmacro %}

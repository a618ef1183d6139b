{#- Helpers of mart_report_figures. -#}

{#- A figure's SQL with each `{mart}` placeholder replaced by that mart's relation. -#}
{% macro with_marts(sql, marts) -%}
    {%- set ns = namespace(out=sql) -%}
    {%- for name in marts -%}
        {%- set ns.out = ns.out | replace("{" ~ name ~ "}", ref(name) | string) -%}
    {%- endfor -%}
    {{ return(ns.out) }}
{%- endmacro %}


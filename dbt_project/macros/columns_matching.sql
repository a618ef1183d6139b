{#- The names of a relation's columns that match `pattern` (a Python regular expression),
    in the relation's order: a wide export's repeated columns (Frontex's jan2009 ... dec2021)
    spelled out for an engine that cannot select columns by pattern. Empty while dbt parses. -#}
{% macro columns_matching(relation, pattern) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set names = run_query("select * from " ~ relation ~ " where 1 = 0").column_names -%}
    {%- set matching = [] -%}
    {%- for name in names if modules.re.match(pattern, name) -%}
        {%- do matching.append(name) -%}
    {%- endfor -%}
    {{ return(matching) }}
{%- endmacro %}

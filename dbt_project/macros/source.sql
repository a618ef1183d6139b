{#- Sources are Parquet files named by `meta.external_location` (a DuckDB `read_parquet`,
    which dbt-duckdb reads in place). On another engine a source is the same files, read
    by path: Spark's `parquet.`<glob>``, its files merged by column name as DuckDB's
    `union_by_name` does (profiles.yml sets spark.sql.parquet.mergeSchema). dbt's own
    `source` still records the lineage. -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{ return(adapter.dispatch('external_source')(relation, source_name, table_name)) }}
{%- endmacro %}

{% macro default__external_source(relation, source_name, table_name) -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro spark__external_source(relation, source_name, table_name) -%}
    {%- if not execute -%}{{ return(relation) }}{%- endif -%}
    {%- for node in graph.sources.values()
        if node.source_name == source_name and node.name == table_name -%}
        {%- set location = node.meta.get('external_location') -%}
        {%- if location -%}
            {%- set path = modules.re.search("'([^']+)'", location).group(1) -%}
            {{ return('parquet.`' ~ path ~ '`') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(relation) }}
{%- endmacro %}

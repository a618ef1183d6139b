{# Use the configured schema as is (staging, marts, reference) rather than dbt's
   <target>_<schema>, so analysts query marts.<table> in the published file. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}

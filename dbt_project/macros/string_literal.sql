{#- A text as a SQL string literal, whatever it holds. Standard SQL doubles an apostrophe
    ('Côte d''Ivoire'); Spark reads two adjacent literals there and drops it, so Spark
    splices it in with chr(39). Backslashes stay as they are on both (profiles.yml). -#}
{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal')(text)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    '{{ (text | string).split("'") | join("' || chr(39) || '") }}'
{%- endmacro %}

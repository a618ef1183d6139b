{#- Regular expressions, spelled per engine (staging only). Both engines read the patterns
    alike: RE2 on DuckDB, Java's on Spark, with string literals kept raw on Spark
    (profiles.yml: spark.sql.parser.escapedStringLiterals). -#}

{#- Does `value` contain a match of `pattern`? -#}
{% macro regexp_like(value, pattern) -%}
    {{ return(adapter.dispatch('regexp_like')(value, pattern)) }}
{%- endmacro %}

{% macro default__regexp_like(value, pattern) -%}
    regexp_matches({{ value }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_like(value, pattern) -%}
    ({{ value }} rlike {{ pattern }})
{%- endmacro %}

{#- `value` with every match of `pattern` replaced (DuckDB replaces the first unless 'g'). -#}
{% macro regexp_replace_all(value, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all')(value, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- `value` without its accents ("Ségou" -> "Segou"). DuckDB strips every combining mark;
    Spark has no Unicode normalisation in SQL, so it maps the accented letters of Latin-1
    (French and Portuguese spellings) one by one; like DuckDB, it keeps letters that are
    not a letter plus an accent (Hausa's ɓ, ɗ). -#}
{% macro strip_accents(value) -%}
    {{ return(adapter.dispatch('strip_accents')(value)) }}
{%- endmacro %}

{% macro default__strip_accents(value) -%}
    strip_accents({{ value }})
{%- endmacro %}

{% macro spark__strip_accents(value) -%}
    translate(
        {{ value }},
        'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿ',
        'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOoooooUUUUuuuuYyy'
    )
{%- endmacro %}

{#- The decision a contract belongs to, from the IATI identifier's shape: a contract
    (T05-EUTF-SAH-ML-07-02) is its decision (T05-EUTF-SAH-ML-07) plus a number. Regular
    expressions (macros/regex.sql): staging only. -#}
{% macro rsr_parent_id(iati_id) -%}
    case
        when {{ regexp_like(iati_id, "'-\\d+-\\d+$'") }}
            then regexp_replace({{ iati_id }}, '-\d+$', '')
    end
{%- endmacro %}

{#- The export's identifiers as one spelling: upper case, no spaces ("T05-Eutf-SAH-TD-01-10",
    "T05-EUTF- SAH-ML-13" occur). -#}
{% macro rsr_action_id(iati_id) -%}
    {{ regexp_replace_all('upper(' ~ iati_id ~ ')', "'\\s+'", "''") }}
{%- endmacro %}

{#- The counting rule of Akvo Flow surveys with data approval: a submission counts once its
    latest approval step approved it ("<step> - APPROVED"); pending and rejected ones wait in
    staging. A survey without approval (`approval_status` null) counts every submission. -#}
{% macro akvo_counted(approval_status='approval_status') -%}
    ({{ approval_status }} is null or {{ approval_status }} like '% - APPROVED')
{%- endmacro %}

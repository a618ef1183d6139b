{#- Where an incremental fact starts reprocessing: `lookback` months (var
    incremental_lookback_months) before the earlier of the latest date already in the fact
    and the latest month of the data. Rows dated from there on are rebuilt and merged on
    the fact's unique key; older rows stay as they are until a full refresh (the monthly
    `refresh` job runs one). An empty fact (built before the first delivery) takes
    everything; a mistyped future date in the fact cannot stall the window, because the
    data's own latest month bounds it. -#}
{% macro recent_window_start(date_column, data_relation, data_month_column) -%}
    {%- set already -%}
        coalesce((select max({{ date_column }}) from {{ this }}), cast('1900-01-01' as date))
    {%- endset -%}
    {%- set latest -%}
        (select max({{ data_month_column }}) from {{ data_relation }})
    {%- endset -%}
    {{ dbt.dateadd('month', -var('incremental_lookback_months'), "least(" ~ already ~ ", " ~ latest ~ ")") }}
{%- endmacro %}

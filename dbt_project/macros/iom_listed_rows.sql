{#- Every row of the current IOM exports, as a state key and the export that lists it: the
    row lists of bronze iom_rows, and the rows of deliveries loaded whole (no fingerprint),
    each its own state. stg_iom__cases and stg_iom__state_listings read the same rows.
    `only`: a list of delivery sha256 to read, out of the current ones (an incremental
    build's new exports); none reads them all. -#}
{% macro iom_listed_rows(only=none) -%}
    {%- set read -%}
        _sha256 in ({{ current_deliveries('iom') }})
        {%- if only is not none %} and {{ sql_in_strings('_sha256', only) }}{% endif %}
    {%- endset %}
    select
        _row_fingerprint as state_key,
        mission,
        report_month,
        _source_file,
        _source_row,
        _sha256,
        _delivery_key
    from {{ source('bronze_iom', 'iom_rows') }}
    where {{ read }}

    union all

    -- Deliveries loaded whole list their own rows.
    select
        _sha256 || ':' || cast(_source_row as varchar) as state_key,
        mission,
        report_month,
        _source_file,
        _source_row,
        _sha256,
        _delivery_key
    from {{ source('bronze_iom', 'iom_cases') }}
    where _row_fingerprint is null and {{ read }}
{%- endmacro %}

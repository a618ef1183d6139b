{#- Every row of the current IOM exports, as a state key and the export that lists it: the
    row lists of bronze iom_rows, and the rows of deliveries loaded whole (no fingerprint),
    each its own state. analyses/iom_case_exports and stg_iom__state_listings read the same
    rows.
    `only`: a list of delivery sha256 to read, out of the current ones (an incremental
    build's new exports); none reads them all. `whole_loaded`: a relation (a CTE) that
    already holds `iom_whole_loaded_rows(only)`, for a query that reads the rows several
    times: finding the few whole-loaded rows means reading every wide bronze file. -#}
{% macro iom_listed_rows(only=none, whole_loaded=none) -%}
    select
        _row_fingerprint as state_key,
        mission,
        report_month,
        _source_file,
        _source_row,
        _sha256,
        _delivery_key
    from {{ source('bronze_iom', 'iom_rows') }}
    where {{ iom_reading(only) }}

    union all

    {% if whole_loaded is none -%}
        {{ iom_whole_loaded_rows(only) }}
    {%- else -%}
        select * from {{ whole_loaded }}
    {%- endif %}
{%- endmacro %}

{#- Deliveries loaded whole (bronze written before fingerprints) list their own rows. -#}
{% macro iom_whole_loaded_rows(only=none) -%}
    select
        _sha256 || ':' || cast(_source_row as {{ dbt.type_string() }}) as state_key,
        mission,
        report_month,
        _source_file,
        _source_row,
        _sha256,
        _delivery_key
    from {{ source('bronze_iom', 'iom_cases') }}
    where _row_fingerprint is null and {{ iom_reading(only) }}
{%- endmacro %}

{#- The current IOM deliveries, or those of `only` among them. -#}
{% macro iom_reading(only=none) -%}
    _sha256 in ({{ current_deliveries('iom') }})
    {%- if only is not none %} and {{ sql_in_strings('_sha256', only) }}{% endif %}
{%- endmacro %}

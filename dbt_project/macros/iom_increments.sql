{#- What an incremental build of the IOM staging tables reads: the deliveries it has not
    seen yet, as a constant list, so DuckDB skips the other bronze files on their Parquet
    statistics (one file per delivery, one `_sha256` in each) instead of reading every
    listed row of every export. Both tables are rebuilt whole by `--full-refresh` (the monthly
    refresh). See docs/architecture.md, "Incremental IOM staging". -#}

{#- `values` as a SQL list of string literals; `false` when empty (DuckDB refuses `in ()`). -#}
{% macro sql_in_strings(column, values) -%}
    {%- if values | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({% for value in values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- The first column of a query's rows, as a list (empty while dbt parses). -#}
{% macro column_values(query) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- stg_iom__case_states: the loaded IOM deliveries none of whose states it holds yet.
    A delivery that stored no new state is read again at every build, at the cost of
    opening its file. A table built before `stored_by_delivery` existed gets the column
    (empty for its rows) and reads every delivery at each build until a full refresh (the
    monthly one) fills it. -#}
{% macro iom_deliveries_to_store() -%}
    {%- set registry = ref('stg_registry__iom_deliveries') -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- set query -%}
        select sha256 from {{ registry }}
        {%- if 'stored_by_delivery' in columns %}
        except
        select stored_by_delivery from {{ this }}
        {%- endif %}
    {%- endset -%}
    {{ return(column_values(query)) }}
{%- endmacro %}

{#- Where stg_iom__state_listings records the exports it has merged: a one-column table
    beside it, written in the same transaction as the model (its post-hook). -#}
{% macro iom_merged_exports_relation() -%}
    {{ return(this.incorporate(path={"identifier": this.identifier ~ "__merged_exports"})) }}
{%- endmacro %}

{#- stg_iom__state_listings' plan: `rebuild` (compute every state's latest listing again)
    on a full refresh, a first build, or when an export it merged is no longer current (a
    correction superseded it, so its rows may no longer be listed); else `adding`, the
    current exports it has not merged. Merging is idempotent (a state keeps its latest
    month), so a record older than the table only costs reading some exports again. -#}
{% macro iom_listing_plan() -%}
    {%- set current = current_deliveries('iom') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return({"rebuild": true, "adding": []}) }}
    {%- endif -%}
    {%- set record = iom_merged_exports_relation() -%}
    {%- if adapter.get_relation(record.database, record.schema, record.identifier) is none -%}
        {{ return({"rebuild": true, "adding": []}) }}
    {%- endif -%}
    {%- set now_current = column_values(current) -%}
    {%- set merged = column_values("select sha256 from " ~ record) -%}
    {%- set superseded = merged | reject("in", now_current) | list -%}
    {%- set adding = now_current | reject("in", merged) | list -%}
    {{ return({"rebuild": superseded | length > 0, "adding": adding}) }}
{%- endmacro %}

{#- Pre-hook: a rebuild inside an incremental run starts from an empty table (delete+insert
    would keep the states only superseded exports listed). -#}
{% macro iom_listings_reset() -%}
    {%- if execute and is_incremental() and iom_listing_plan()["rebuild"] -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: the exports the table now holds the latest listings of; only an incremental
    build reads it (a table rebuilt whole, as on Spark, records nothing). -#}
{% macro iom_listings_record() -%}
    {%- if config.get('materialized') == 'incremental' -%}
    create or replace table {{ iom_merged_exports_relation() }} as
    {{ current_deliveries('iom') }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- The missions stg_iom__state_listings groups apart: those of the row lists
    `iom_listed_rows(only)` reads, when they list more than the `iom_listings_split_rows`
    var; none below (empty while dbt parses too). Counting reads the constant columns of
    small files; deliveries loaded whole are not counted (that reads every wide bronze
    file): the listings group their missions with any other. -#}
{% macro iom_listing_missions(only=none) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select mission, count(*) as listed from {{ source('bronze_iom', 'iom_rows') }}
        where mission is not null and {{ iom_reading(only) }}
        group by mission
        order by mission
    {%- endset -%}
    {%- set counts = run_query(query) -%}
    {%- if counts.columns[1].values() | sum <= var('iom_listings_split_rows') -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(counts.columns[0].values() | list) }}
{%- endmacro %}

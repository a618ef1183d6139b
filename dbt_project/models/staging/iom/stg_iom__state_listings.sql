-- One row per IOM state (a distinct case row of a mission, stg_iom__case_states) and the
-- latest current export that lists it, with the state's row in that export. A case's latest
-- state is then a choice among its few states (int_iom__cases_latest), not a ranking of its
-- every listing: the exports list each state about a dozen times, and ranking every listing
-- spilled to disk. The aggregate stays narrow (key, month, row); the export's file and
-- delivery join on mission and month, since one export of each is current. max_by is
-- DuckDB's, Spark's and Trino's (DuckDB also calls it arg_max). A state listed twice in one
-- export (two identical rows) gives one of its rows. A table: its tests and the ranking
-- read it once computed.
--
-- Incremental: a build reads the exports it has not merged (macros/iom_increments.sql)
-- and replaces a state's row where a new export lists it in a later month; an export
-- arriving late, for an earlier month, changes nothing. When an export it merged is no
-- longer current (a correction superseded it), it computes every state again. The monthly
-- refresh rebuilds it whole.
--
-- Built after stg_iom__case_states although it does not read it: the two are the build's
-- largest queries and share DuckDB's memory cap when side by side: one after the other, the
-- build's peak memory is lower (BENCHMARKS.md, "Measurements behind the design").
-- depends_on: {{ ref('stg_iom__case_states') }}
--
-- Spark on plain Parquet tables cannot delete rows (delete+insert, merge): there it is a
-- table, rebuilt whole at each build (on Delta tables, `merge` on state_key is the same).
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert' if target.type == 'duckdb' else none,
    unique_key='state_key',
    on_schema_change='fail',
    pre_hook="{{ iom_listings_reset() }}",
    post_hook="{{ iom_listings_record() }}",
) }}

{%- set plan = iom_listing_plan() %}
{%- set reading = none if plan.rebuild else plan.adding %}
{%- set missions = iom_listing_missions(reading) %}

-- Read once: the listed rows are read again by each mission's aggregate (`not materialized`:
-- every listed row is not kept), and finding the whole-loaded ones reads every wide bronze
-- file (so it is done once, not by each aggregate).
with whole_loaded as {{ cte_hint(materialized=true) }} (
    {{ iom_whole_loaded_rows(reading) }}
),

listed as {{ cte_hint(materialized=false) }} (
    {{ iom_listed_rows(reading, whole_loaded='whole_loaded') }}
),

exports as (
    select distinct
        mission,
        report_month,
        _source_file,
        _sha256,
        _delivery_key
    from listed
),

-- Large row lists are grouped mission by mission (a state belongs to one), then any other
-- mission's: all states grouped at once can spill out of DuckDB's memory cap, mission by
-- mission they do not. See the `iom_listings_split_rows` var.
{%- set each_state %}
    select
        state_key,
        mission,
        max(report_month) as report_month,
        max_by(_source_row, report_month) as source_row
    from listed
{%- endset %}

latest as (
    {%- for mission in missions %}
    {{ each_state }}
    where mission = '{{ mission }}'
    group by state_key, mission

    union all
    {%- endfor %}
    {{ each_state }}
    where mission is null or not ({{ sql_in_strings('mission', missions) }})
    group by state_key, mission
)

select
    latest.state_key,
    latest.mission as mission_iso3,
    cast(latest.report_month || '-01' as date) as report_month,
    exports._source_file as source_file,
    latest.source_row,
    exports._sha256 as delivery_sha256,
    exports._delivery_key as delivery_key
from latest
inner join exports
    on latest.mission = exports.mission
    and latest.report_month = exports.report_month
{%- if not plan.rebuild %}
left join {{ this }} as merged
    on latest.state_key = merged.state_key
where merged.state_key is null
    or cast(latest.report_month || '-01' as date) > merged.report_month
{%- endif %}

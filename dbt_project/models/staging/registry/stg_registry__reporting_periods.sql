-- One row per feed, series and period the delivery calendars expect (or that came outside
-- them), as ingest/reporting_rates.py judged it from the registry. A table, for the same
-- reason as stg_registry__deliveries: one build sees one registry.
{{ config(materialized='table') }}
select
    feed,
    partner,
    series,
    country_code as country_iso3,
    period,
    period_end,
    due_on,
    first_landed_at,
    timeliness,
    is_expected,
    files_received,
    files_loaded,
    files_refused,
    is_corrected,
    refusal_reasons
from {{ source('registry', 'reporting_periods') }}

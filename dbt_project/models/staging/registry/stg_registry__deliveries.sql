-- One row per delivery handled (loaded, duplicate or rejected), with its current flag.
-- A table, not a view: the registry file changes whenever an ingest run ends, and every
-- model of a build (and the incremental IOM staging's plans and records, which query it
-- more than once) must see the same deliveries.
{{ config(materialized='table') }}
select
    feed,
    file_name,
    sha256,
    delivery_key,
    revision,
    received_at,
    status,
    rows_read,
    rows_bronze,
    rows_quarantined,
    warnings,
    is_current,
    superseded_by
from {{ source('registry', 'deliveries') }}

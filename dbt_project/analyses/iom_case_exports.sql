-- An analysis, not a model: compiled by dbt (`dbt compile`, then target/compiled/slc/
-- analyses/iom_case_exports.sql), run by hand to trace a case through the exports that list
-- it; nothing is built from it, and building it would copy every listed row.
--
-- One row per case per current monthly export of a mission (cumulative snapshots): the
-- export's row list (bronze iom_rows, ingest/cumulative.py) with the state each row
-- carries (stg_iom__case_states, joined on `state_key`). Superseded exports (an earlier
-- version of a corrected month) are left out. Only the columns that say which export and
-- which case; the typed values are in stg_iom__case_states.
with listed as (
    {{ iom_listed_rows() }}
)

select
    listed.state_key,
    states.case_id,
    listed.mission as mission_iso3,
    cast(listed.report_month || '-01' as date) as report_month,
    states.last_updated,
    listed._source_file as source_file,
    listed._source_row as source_row,
    listed._sha256 as delivery_sha256,
    listed._delivery_key as delivery_key
from listed
inner join {{ ref('stg_iom__case_states') }} as states
    on listed.state_key = states.state_key

-- One row per delivery handled (loaded, duplicate or rejected), with its current flag.
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
    is_current,
    superseded_by
from {{ source('registry', 'deliveries') }}

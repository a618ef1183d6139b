-- One row per participant listed in an AECID workbook's `Participants` sheet (current
-- workbooks only). Names and phone are pseudonyms. The sheet gives the activity number but
-- not the month, and numbers restart on each monthly sheet: a participant belongs to the
-- workbook (delivery_key) and to one of the activities numbered `activity_no` in it.
select
    activity_no,
    sex,
    age,
    last_name_pseudonym,
    first_name_pseudonym,
    phone_pseudonym,
    {{ lineage_columns() }}
from {{ source('bronze_aecid', 'aecid_participants') }}
where _sha256 in ({{ current_deliveries('aecid') }})

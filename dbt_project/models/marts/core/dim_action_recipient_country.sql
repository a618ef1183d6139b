-- Recipient countries of each action with their share, as the export states them.
select
    iati_id,
    recipient_country_iso3 as country_iso3,
    recipient_percentage
from {{ ref('stg_eutf_rsr__recipients') }}
where recipient_country_iso3 is not null

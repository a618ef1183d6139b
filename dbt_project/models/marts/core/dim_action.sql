-- Conformed action dimension: every EUTF action of the results export.
with actions as (
    select * from {{ ref('stg_eutf_rsr__actions') }}
),

countries as (
    select
        iati_id,
        count(recipient_country_iso3) as recipient_country_count,
        {{ listagg_sorted("recipient_country_iso3", "', '") }} as recipient_countries
    from {{ ref('stg_eutf_rsr__recipients') }}
    group by iati_id
),

country_codes as (
    select
        iso2 as country_iso2,
        iso3 as country_iso3
    from {{ ref('countries') }}
    where is_country
)

select
    a.iati_id,
    a.action_level,
    a.parent_iati_id,
    a.eutf_window,
    a.eutf_window = 'SAH' as is_slc_window,
    a.title,
    a.partner_funding,
    a.partner_implementing,
    a.partner_accountable,
    a.partner_extending,
    a.date_start,
    a.date_end,
    a.budget_eur,
    coalesce(c.recipient_country_count, 0) as recipient_country_count,
    c.recipient_countries,
    -- The one country an action works in: its only recipient country, else the country of
    -- its code; null for a regional action (several recipients, or REG and none).
    case
        when c.recipient_country_count = 1 then c.recipient_countries
        when coalesce(c.recipient_country_count, 0) = 0 then k.country_iso3
    end as action_country_iso3
from actions as a
left join countries as c
    on a.iati_id = c.iati_id
left join country_codes as k
    on a.code_country = k.country_iso2

-- Implementing partners: the programme partners of the registry seed, and the civil-society
-- organisations and focal points that ran AECID's campaigns (as their workbooks name them).
with programme as (
    select
        partner_id,
        name,
        acronym_fr,
        partner_type,
        role,
        cast(null as {{ dbt.type_string() }}) as parent_partner_id
    from {{ ref('partners') }}
),

aecid_organisations as (
    select distinct
        organisation,
        organisation_type
    from {{ ref('stg_aecid__activities') }}
)

select * from programme

union all

select
    {{ aecid_organisation_id('organisation') }},
    organisation,
    organisation,
    case organisation_type when 'osc' then 'civil_society' else 'focal_point' end,
    case organisation_type
        when 'osc' then 'Runs AECID awareness activities (call for proposals)'
        else 'AECID focal point running awareness activities'
    end,
    'aecid'
from aecid_organisations

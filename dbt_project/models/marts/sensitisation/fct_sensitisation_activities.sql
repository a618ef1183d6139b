-- One row per awareness activity an AECID partner organisation ran, with the people it
-- reached as the organisers counted them. Mass-media activities (radio, TV, social media,
-- press) report an estimated audience, not people met: `channel` keeps them apart, and
-- every sum over people should say which channel it covers.
select
    a.activity_id,
    a.activity_date,
    'aecid' as partner_id,
    {{ aecid_organisation_id('a.organisation') }} as organisation_partner_id,
    a.organisation,
    a.organisation_type,
    a.call_year,
    'MLI' as country_iso3,
    a.region_area_id,
    a.region,
    a.cercle,
    a.commune,
    a.locality,
    a.activity_type,
    t.channel,
    a.themes,
    a.participants as people_reached,
    a.potential_migrants,
    a.returnees_involved,
    a.funder,
    a.funding_action,
    {{ is_eutf_funded('a.funding_action') }} as is_eutf_funded,
    a.has_participant_list
from {{ ref('stg_aecid__activities') }} as a
left join {{ ref('activity_types') }} as t
    on a.activity_type = t.activity_type

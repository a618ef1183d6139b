-- One row per IOM case: its state in the latest export that contains it. Exports are
-- cumulative, so summing over exports would count a case once per month; the latest
-- report month wins whatever order the exports arrived in (then the latest update, should
-- two states of a case share it: the reader refuses an export listing a case twice).
-- Each state comes with the latest export that lists it (stg_iom__state_listings), so the
-- ranking runs over a case's states, not its every listing; the latest listing of the
-- winning state is the case's latest listing.
with ranked as (
    select
        listings.state_key,
        listings.mission_iso3,
        listings.report_month,
        listings.source_file,
        listings.source_row,
        listings.delivery_sha256,
        listings.delivery_key,
        row_number() over (
            partition by listings.mission_iso3, states.case_id
            order by listings.report_month desc, states.last_updated desc
        ) as recency
    from {{ ref('stg_iom__state_listings') }} as listings
    inner join {{ ref('stg_iom__case_states') }} as states
        on listings.state_key = states.state_key
)
select
    states.case_id,
    ranked.mission_iso3,
    states.case_type,
    states.sex,
    states.age_at_event,
    states.nationality_iso3,
    states.host_country_iso3,
    states.return_type,
    states.movement_ref,
    states.departure_date,
    states.arrival_date,
    states.assisted_date,
    states.return_action,
    states.arrival_allowance_xof,
    states.arrival_allowance_date,
    states.vulnerability_screening_date,
    states.vulnerable,
    states.medical_date,
    states.post_arrival_action,
    states.psychosocial_first_date,
    states.psychosocial_sessions,
    states.psychosocial_mode,
    states.reintegration_start_date,
    states.counselling_sessions,
    states.reintegration_action,
    states.cash_date,
    states.household_adults,
    states.children_14_18,
    states.children_0_13,
    states.cash_amount_xof,
    states.kit_date,
    states.kit_type,
    states.kit_value_xof,
    states.training_centre,
    states.training_start_date,
    states.training_end_date,
    states.training_allowance_xof,
    states.transport_days,
    states.transport_xof,
    states.project_type,
    states.project_date,
    states.project_value_xof,
    states.ejom_referral_date,
    states.status,
    states.reintegration_completed_date,
    states.closed_date,
    states.last_updated,
    states.person_key,
    states.first_name_pseudonym,
    states.last_name_pseudonym,
    states.date_of_birth_pseudonym,
    states.phone_pseudonym,
    states.document_number_pseudonym,
    ranked.source_file,
    ranked.source_row,
    ranked.delivery_sha256,
    ranked.delivery_key,
    ranked.report_month as latest_report_month
from ranked
inner join {{ ref('stg_iom__case_states') }} as states
    on ranked.state_key = states.state_key
where ranked.recency = 1

-- One row per sensitisation activity in the current AECID workbooks, with its audience by
-- sex and age band as the organisers counted it. Activities are numbered per monthly sheet,
-- so an activity is identified by workbook, sheet and number.
with bronze as (
    {{ current_rows(source('bronze_aecid', 'aecid_activities'), 'aecid') }}
)

select
    _delivery_key || ':' || _sheet_name || ':' || cast(activity_no as {{ dbt.type_string() }})
        as activity_id,
    activity_no,
    activity_date,
    organisation,
    organisation_type,
    call_year,
    region,
    {{ area_id("'MLI'", 'region') }} as region_area_id,
    cercle,
    commune,
    locality,
    activity_type,
    themes,
    men_15_17,
    men_18_35,
    men_36_plus,
    women_15_17,
    women_18_35,
    women_36_plus,
    participants,
    potential_migrants,
    returnees_involved,
    funder,
    funding_action,
    coalesce(participant_list, false) as has_participant_list,
    remarks,
    _sheet_name as sheet_name,
    {{ lineage_columns() }}
from bronze

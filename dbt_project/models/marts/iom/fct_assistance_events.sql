-- One row per assistance a case received, from the latest state of IOM cases: the dates
-- of each step are columns of the export, each becomes an event here with its amount and
-- the action that funded its stage (post-arrival or reintegration; return for transit).
{% set events = [
    {"type": "protection", "stage": "protection", "cases": "transit", "date": "assisted_date", "action": "return_action"},
    {"type": "arrival_allowance", "stage": "post_arrival", "date": "arrival_allowance_date", "amount": "arrival_allowance_xof", "action": "post_arrival_action"},
    {"type": "vulnerability_screening", "stage": "post_arrival", "date": "vulnerability_screening_date", "action": "post_arrival_action"},
    {"type": "medical", "stage": "post_arrival", "date": "medical_date", "action": "post_arrival_action"},
    {"type": "psychosocial", "stage": "post_arrival", "date": "psychosocial_first_date", "action": "post_arrival_action", "detail": "psychosocial_mode", "sessions": "psychosocial_sessions"},
    {"type": "reintegration_start", "stage": "reintegration", "date": "reintegration_start_date", "action": "reintegration_action", "sessions": "counselling_sessions"},
    {"type": "cash", "stage": "reintegration", "date": "cash_date", "amount": "cash_amount_xof", "action": "reintegration_action"},
    {"type": "kit", "stage": "reintegration", "date": "kit_date", "amount": "kit_value_xof", "action": "reintegration_action", "detail": "kit_type"},
    {"type": "training", "stage": "reintegration", "date": "training_start_date", "amount": "training_allowance_xof", "action": "reintegration_action", "detail": "training_centre"},
    {"type": "transport", "stage": "reintegration", "date": "training_start_date", "amount": "transport_xof", "action": "reintegration_action", "sessions": "transport_days", "only_if": "transport_xof"},
    {"type": "project", "stage": "reintegration", "date": "project_date", "amount": "project_value_xof", "action": "reintegration_action", "detail": "project_type"},
    {"type": "ejom_referral", "stage": "reintegration", "date": "ejom_referral_date", "action": "reintegration_action"},
    {"type": "reintegration_completed", "stage": "reintegration", "date": "reintegration_completed_date", "action": "reintegration_action"},
] %}

with cases as (
    select * from {{ ref('int_iom__cases_latest') }}
),

events as (
    {% for e in events %}
    select
        mission_iso3,
        case_id,
        person_key,
        sex,
        age_at_event,
        '{{ e.type }}' as event_type,
        '{{ e.stage }}' as stage,
        {{ e.date }} as event_date,
        cast({{ e.get("amount", "null") }} as double) as amount_xof,
        cast({{ e.get("sessions", "null") }} as bigint) as sessions,
        cast({{ e.get("detail", "null") }} as {{ dbt.type_string() }}) as detail,
        {{ e.action }} as funding_action
    from cases
    where case_type = '{{ e.get("cases", "returnee") }}'
        and {{ e.date }} is not null
        {% if e.only_if %}and {{ e.only_if }} is not null{% endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    {{ dbt.concat(["mission_iso3", "':'", "case_id", "':'", "event_type"]) }} as event_id,
    {{ dbt.concat(["mission_iso3", "':'", "case_id"]) }} as case_key,
    mission_iso3,
    case_id,
    person_key,
    sex,
    age_at_event,
    {{ age_band('age_at_event') }} as age_band,
    event_type,
    stage,
    event_date,
    amount_xof,
    {{ xof_to_eur('amount_xof') }} as amount_eur,
    sessions,
    detail,
    funding_action,
    {{ is_eutf_funded('funding_action') }} as is_eutf_funded
from events

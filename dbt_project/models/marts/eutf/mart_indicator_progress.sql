-- Progress of each action against the targets it sets in the EUTF results export: every
-- indicator with a target, counted once, at the lowest level that reports it
-- (fct_reported_indicators.is_counted). The export sets targets on the actions' own
-- indicators, not on the EUTF common output indicators, so both kinds are here.
select
    r.iati_id,
    r.result_type,
    r.indicator_title,
    r.indicator_code,
    r.is_common_output_indicator,
    a.title as action_title,
    a.action_level,
    a.eutf_window,
    coalesce(a.is_slc_window, false) as is_slc_window,
    a.action_country_iso3,
    r.period_start,
    r.period_end,
    r.actual_value,
    r.target_value,
    case when r.target_value > 0 then r.actual_value / r.target_value end as achieved_share
from {{ ref('fct_reported_indicators') }} as r
left join {{ ref('dim_action') }} as a
    on r.iati_id = a.iati_id
where r.is_counted and r.target_value is not null

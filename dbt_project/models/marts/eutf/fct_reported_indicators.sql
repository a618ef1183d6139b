-- The EUTF results export as a fact: every numeric actual, with the rule that says which
-- rows count (each indicator once, at the lowest DEC/CTR level that reports it).
select
    r.iati_id,
    r.parent_iati_id,
    r.action_level,
    r.eutf_window,
    r.eutf_window = 'SAH' as is_slc_window,
    r.result_type,
    r.indicator_code,
    r.indicator_title,
    i.indicator_code is not null as is_registry_indicator,
    r.is_common_output_indicator,
    r.period_start,
    r.period_end,
    r.actual_value,
    r.target_value,
    r.is_counted,
    r.source_file,
    r.source_row
from {{ ref('int_eutf__reported_indicators') }} as r
left join {{ ref('eutf_indicators') }} as i
    on r.indicator_title = i.rsr_title

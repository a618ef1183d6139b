-- Every numeric actual of the results export, flagged `is_counted` at the lowest level that
-- reports it. A decision (DEC) repeats the sum of its contracts (CTR): when a contract of the
-- decision reports the same indicator for the same period, the decision's value is left out,
-- otherwise it counts (a decision reporting alone). Summing both levels doubles the totals.
with reported as (
    select *
    from {{ ref('stg_eutf_rsr__results') }}
    where actual_value is not null
),

reported_by_a_child as (
    select distinct
        parent_iati_id as iati_id,
        indicator_title,
        period_start,
        period_end
    from reported
    where parent_iati_id is not null
)

select
    r.iati_id,
    r.parent_iati_id,
    case when r.parent_iati_id is null then 'DEC' else 'CTR' end as action_level,
    r.eutf_window,
    r.result_type,
    r.indicator_code,
    r.indicator_title,
    r.is_common_output_indicator,
    r.period_start,
    r.period_end,
    r.actual_value,
    r.target_value,
    c.iati_id is null as is_counted,
    r.source_file,
    r.source_row
from reported as r
left join reported_by_a_child as c
    on r.iati_id = c.iati_id
    and r.indicator_title = c.indicator_title
    and r.period_start is not distinct from c.period_start
    and r.period_end is not distinct from c.period_end

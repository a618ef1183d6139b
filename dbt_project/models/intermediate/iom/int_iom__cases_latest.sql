-- One row per IOM case: its state in the latest export that contains it. Exports are
-- cumulative, so summing over exports would count a case once per month; the latest
-- report month wins whatever order the exports arrived in.
with ranked as (
    select
        *,
        row_number() over (
            partition by mission_iso3, case_id
            order by report_month desc, last_updated desc
        ) as recency
    from {{ ref('stg_iom__cases') }}
)

select
    {{ star_except(ref('stg_iom__cases'), except=['report_month']) }},
    report_month as latest_report_month
from ranked
where recency = 1

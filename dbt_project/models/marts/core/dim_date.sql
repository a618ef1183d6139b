-- One row per day of the programme's life (vars programme_start to programme_end), with
-- the month, quarter and year it belongs to.
with days as (
    {{ day_spine(
        "cast('" ~ var('programme_start') ~ "' as date)",
        "cast('" ~ var('programme_end') ~ "' as date)"
    ) }}
)

select
    cast(date_day as date) as date_day,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
    cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
    cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
    cast(extract(year from date_day) as integer) as year,
    cast(extract(quarter from date_day) as integer) as quarter,
    cast(extract(month from date_day) as integer) as month
from days

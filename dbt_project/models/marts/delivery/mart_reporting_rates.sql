-- Partner reporting rates, as DHIS2's reporting-rate summary counts them: per feed, series
-- and month, the deliveries the calendar expected, received, on time, late, missing,
-- corrected and refused. A survey cycle has no due date: it falls in the month its first
-- file landed, and is received or missing, never late.
with periods as (
    select
        feed,
        partner,
        series,
        country_iso3,
        files_refused,
        refusal_reasons,
        cast(
            {{ dbt.date_trunc('month', 'coalesce(period_end, cast(first_landed_at as date))') }}
            as date
        ) as reporting_month,
        case when is_expected then 1 else 0 end as is_due,
        case when is_expected and timeliness <> 'missing' then 1 else 0 end as is_received,
        case when is_expected and timeliness = 'on_time' then 1 else 0 end as is_on_time,
        case when is_expected and timeliness = 'late' then 1 else 0 end as is_late,
        case when is_expected and timeliness = 'missing' then 1 else 0 end as is_missing,
        case when is_expected and due_on is not null then 1 else 0 end as is_judged,
        case when is_corrected then 1 else 0 end as was_corrected
    from {{ ref('stg_registry__reporting_periods') }}
)

select
    feed,
    partner,
    series,
    country_iso3,
    reporting_month,
    cast(sum(is_due) as {{ dbt.type_bigint() }}) as expected,
    cast(sum(is_received) as {{ dbt.type_bigint() }}) as received,
    cast(sum(is_on_time) as {{ dbt.type_bigint() }}) as on_time,
    cast(sum(is_late) as {{ dbt.type_bigint() }}) as late,
    cast(sum(is_missing) as {{ dbt.type_bigint() }}) as missing,
    cast(sum(is_judged) as {{ dbt.type_bigint() }}) as judged,
    cast(sum(was_corrected) as {{ dbt.type_bigint() }}) as corrected,
    cast(sum(files_refused) as {{ dbt.type_bigint() }}) as refused,
    {{ listagg_sorted('refusal_reasons', "'; '") }} as refusal_reasons
from periods
group by feed, partner, series, country_iso3, reporting_month

-- Computed from the microdata against reported in the EUTF results export, per action and
-- indicator of the registry. Reported values are counted once, at the lowest level that
-- reports them (fct_reported_indicators.is_counted).
with computed as (
    select
        indicator_code,
        iati_id,
        cast(sum(unit_count) as bigint) as computed_value
    from {{ ref('fct_indicator_units') }}
    group by indicator_code, iati_id
),

reported as (
    select
        indicator_code,
        iati_id,
        sum(actual_value) as reported_value
    from {{ ref('fct_reported_indicators') }}
    where is_counted and is_registry_indicator and is_common_output_indicator
    group by indicator_code, iati_id
),

paired as (
    select
        coalesce(c.indicator_code, r.indicator_code) as indicator_code,
        coalesce(c.iati_id, r.iati_id) as iati_id,
        c.computed_value,
        r.reported_value
    from computed as c
    full outer join reported as r
        on c.indicator_code = r.indicator_code and c.iati_id = r.iati_id
)

select
    p.indicator_code,
    p.iati_id,
    a.title as action_title,
    a.eutf_window,
    coalesce(a.is_slc_window, false) as is_slc_window,
    a.action_country_iso3,
    cast(p.computed_value as double) as computed_value,
    p.reported_value,
    cast(p.computed_value as double) - p.reported_value as variance,
    case
        when p.reported_value > 0
            then round(
                    100 * (cast(p.computed_value as double) - p.reported_value)
                    / p.reported_value,
                    1
                )
    end as variance_pct,
    case
        when p.computed_value is null then 'reported_only'
        when p.reported_value is null then 'computed_only'
        else 'both'
    end as coverage
from paired as p
left join {{ ref('dim_action') }} as a
    on p.iati_id = a.iati_id

-- Every EUTF common output indicator of the Sahel and Lake Chad window, counted once at the
-- lowest level that reports it (fct_reported_indicators.is_counted: a decision repeats the
-- sum of its contracts), totalled per scope: the whole window (scope 'SLC'), each country
-- whose single-country actions report it, and the multi-country actions together ('REG').
-- The reports and analysts read these totals, so they state the same number.
with counted as (
    select
        r.indicator_code,
        r.indicator_title,
        r.iati_id,
        r.actual_value,
        r.target_value,
        a.action_country_iso3
    from {{ ref('fct_reported_indicators') }} as r
    left join {{ ref('dim_action') }} as a
        on r.iati_id = a.iati_id
    where
        r.is_counted
        and r.is_slc_window
        and r.is_common_output_indicator
        and r.indicator_code is not null
),

scoped as (
    select
        'region' as scope_type,
        'SLC' as scope_code,
        indicator_code,
        indicator_title,
        iati_id,
        actual_value,
        target_value
    from counted
    union all
    select
        case when action_country_iso3 is null then 'multi_country' else 'country' end,
        coalesce(action_country_iso3, 'REG'),
        indicator_code,
        indicator_title,
        iati_id,
        actual_value,
        target_value
    from counted
)

select
    s.indicator_code,
    s.scope_type,
    s.scope_code,
    min(s.indicator_title) as indicator_title,
    min(i.label_en) as label_en,
    min(i.label_fr) as label_fr,
    cast(count(distinct s.iati_id) as {{ dbt.type_bigint() }}) as actions_reporting,
    -- Summed as decimals: a sum of doubles depends on the order the rows come in, and the
    -- same data must give the same mart (content hashes, the change-driven rebuild's test).
    cast(sum(cast(s.actual_value as {{ dbt.type_numeric() }})) as double)
        as reported_value,
    cast(sum(cast(s.target_value as {{ dbt.type_numeric() }})) as double)
        as target_value
from scoped as s
left join {{ ref('eutf_indicators') }} as i
    on s.indicator_code = i.indicator_code
group by s.indicator_code, s.scope_type, s.scope_code

-- How long people wait: from the start of their path (IOM's orientation interview, EJOM's
-- registration) to their first training, and from the end of training to their first kit
-- (IOM's in-kind kit, EJOM's first tranche) -- the 2021 report's main complaint.
-- Months are days / 30.4375. Grain: partner, country, year the path started.
with iom_starts as (
    select
        beneficiary.beneficiary_key,
        'iom' as partner_id,
        orientation.mission_iso3 as country_iso3,
        min(orientation.event_date) as started_on
    from {{ ref('fct_assistance_events') }} as orientation
    inner join {{ ref('dim_beneficiary') }} as beneficiary
        on orientation.case_key = beneficiary.iom_case_key
    where orientation.event_type = 'reintegration_start'
    group by 1, 2, 3
),

ejom_starts as (
    select
        beneficiary_key,
        'snv' as partner_id,
        country_iso3,
        ejom_registered_on as started_on
    from {{ ref('dim_beneficiary') }}
    where ejom_registered_on is not null
),

starts as (
    select * from iom_starts
    union all
    select * from ejom_starts
),

trainings as (
    select
        partner_id,
        beneficiary_key,
        min(start_date) as training_started_on,
        max(completed_date) as training_completed_on
    from {{ ref('fct_trainings') }}
    group by 1, 2
),

kits as (
    select
        partner_id,
        beneficiary_key,
        min(disbursed_date) as kit_received_on
    from {{ ref('fct_kits') }}
    where activity_type = 'kit' or (activity_type = 'kit_tranche' and tranche = 1)
    group by 1, 2
),

paths as (
    select
        starts.partner_id,
        starts.country_iso3,
        extract(year from starts.started_on) as start_year,
        trainings.training_started_on,
        kits.kit_received_on,
        -- Days as a double: a decimal quotient keeps only a few digits on Spark.
        cast(
            {{ dbt.datediff('starts.started_on', 'trainings.training_started_on', 'day') }}
            as double
        ) / 30.4375 as months_to_training,
        cast(
            {{ dbt.datediff('trainings.training_completed_on', 'kits.kit_received_on', 'day') }}
            as double
        ) / 30.4375 as months_training_to_kit
    from starts
    left join trainings
        on starts.partner_id = trainings.partner_id
        and starts.beneficiary_key = trainings.beneficiary_key
    left join kits
        on starts.partner_id = kits.partner_id
        and starts.beneficiary_key = kits.beneficiary_key
)

select
    partner_id,
    country_iso3,
    cast(start_year as integer) as start_year,
    count(*) as people_started,
    count(training_started_on) as people_trained,
    count(kit_received_on) as people_with_kit,
    count(months_training_to_kit) as people_trained_then_kit,
    percentile_cont(0.5) within group (order by months_to_training) as median_months_to_training,
    percentile_cont(0.5) within group (order by months_training_to_kit)
        as median_months_training_to_kit
from paths
group by 1, 2, 3

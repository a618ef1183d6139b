-- The returnee survey's headline measures for the 12 surveyed countries side by side, and
-- pooled over all of them (scope 'region', country_iso3 null): the regional comparisons of
-- the Mali report (trained, satisfied with Mali's rank, employment before and after,
-- COVID-19 impact). Grain: one row per country, plus the regional row. Shares are of the
-- respondents the question concerns (stated per column). The 0/1 flags are integers, whose
-- average is a double on every engine (a decimal's, of 1.0, stays a decimal on Spark).
with respondents as (
    select
        country_iso3,
        cycle,
        case when formation = 'oui' then 1 else 0 end as trained,
        case when assistance_recue = 'oui' then 1 else 0 end as assisted,
        case
            when
                assistance_recue = 'oui'
                and satisfaction_globale in ('satisfait', 'tres_satisfait')
                then 1
            else 0
        end as assisted_satisfied,
        case
            when emploi_avant in ('temps_plein', 'temps_partiel') then 1 else 0
        end as employed_before,
        case
            when emploi_actuel in ('temps_plein', 'temps_partiel') then 1 else 0
        end as employed_now,
        case when emploi_avant = 'sans_emploi' then 1 else 0 end as unemployed_before,
        case when emploi_actuel = 'sans_emploi' then 1 else 0 end as unemployed_now,
        emploi_avant is not null as asked_employment,
        case
            when covid_impact in ('ralentissement', 'arret') then 1 else 0
        end as covid_negative
    from {{ ref('mart_returnee_survey') }}
),

{% set measures %}
        count(*) as respondents,
        cast(sum(case when cycle = 1 then 1 else 0 end) as bigint) as respondents_cycle_1,
        cast(sum(case when cycle = 3 then 1 else 0 end) as bigint) as respondents_cycle_3,
        avg(trained) as trained_share,
        cast(sum(assisted) as bigint) as assisted,
        cast(sum(assisted_satisfied) as double) / nullif(sum(assisted), 0) as satisfied_share,
        avg(case when asked_employment then employed_before end) as employed_before_share,
        avg(case when asked_employment then employed_now end) as employed_now_share,
        avg(case when asked_employment then unemployed_before end) as unemployed_before_share,
        avg(case when asked_employment then unemployed_now end) as unemployed_now_share,
        avg(case when cycle = 3 then covid_negative end) as covid_negative_share
{% endset %}

by_country as (
    select
        'country' as scope,
        country_iso3,
        {{ measures }}
    from respondents
    group by country_iso3
),

region as (
    select
        'region' as scope,
        cast(null as {{ dbt.type_string() }}) as country_iso3,
        {{ measures }}
    from respondents
)

select
    b.scope,
    b.country_iso3,
    c.name_fr as country_fr,
    b.respondents,
    b.respondents_cycle_1,
    b.respondents_cycle_3,
    b.trained_share,
    b.assisted,
    b.satisfied_share,
    cast(rank() over (order by b.satisfied_share desc) as integer) as satisfaction_rank,
    b.employed_before_share,
    b.employed_now_share,
    b.unemployed_before_share,
    b.unemployed_now_share,
    b.covid_negative_share
from by_country as b
left join {{ ref('dim_country') }} as c
    on b.country_iso3 = c.country_iso3

union all

select
    scope,
    country_iso3,
    'Moyenne régionale',
    respondents,
    respondents_cycle_1,
    respondents_cycle_3,
    trained_share,
    assisted,
    satisfied_share,
    cast(null as integer),
    employed_before_share,
    employed_now_share,
    unemployed_before_share,
    unemployed_now_share,
    covid_negative_share
from region

-- Respondents by the administrative area a survey question names (the returnees' region of
-- origin, the sensitisation participants' region): one row per survey, country, cycle,
-- question and area. The questions are those whose choice list names areas
-- (var survey_area_lists); an answer's area id is `<ISO3>:<code>`, dim_admin_area's spelling.
with area_questions as (
    select
        survey,
        question
    from {{ ref('survey_questions') }}
    where choice_list in ({{ quoted(var('survey_area_lists')) }})
),

answers as (
    select
        r.survey,
        r.country_iso3,
        r.cycle,
        r.question,
        r.response_id,
        {{ dbt.concat(["r.country_iso3", "':'", "r.answer"]) }} as area_id
    from {{ ref('fct_survey_responses') }} as r
    inner join area_questions as q
        on r.survey = q.survey and r.question = q.question
    where r.answer is not null
)

select
    a.survey,
    a.country_iso3,
    a.cycle,
    a.question,
    a.area_id,
    d.name as area_name,
    cast(count(distinct a.response_id) as {{ dbt.type_bigint() }}) as respondents
from answers as a
left join {{ ref('dim_admin_area') }} as d
    on a.area_id = d.area_id
group by a.survey, a.country_iso3, a.cycle, a.question, a.area_id, d.name

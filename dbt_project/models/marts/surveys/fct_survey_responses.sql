-- depends_on: {{ ref('survey_questions') }}
-- depends_on: {{ ref('survey_choices') }}
-- Every answer of the monitoring surveys in one long fact: one row per response, question
-- and answer (a multiple-choice question gives one row per option ticked; unanswered
-- questions give no row). `survey` is returnee, sensitisation, or sensitisation_activites
-- for the activities a sensitisation respondent reported (`activity_index` numbers them).
-- Labels are in the seeds survey_questions and survey_choices.
{% set surveys = [
    ("returnee", ref('int_kobo__returnee_responses'), none),
    ("sensitisation", ref('int_kobo__sensitisation_responses'), none),
    ("sensitisation_activites", ref('stg_kobo__sensitisation_activities'), ref('int_kobo__sensitisation_responses')),
] %}
with answers as (
    {%- set selects = [] %}
    {%- for survey, relation, parent in surveys %}
    {%- for q in survey_questions(survey) if q.type not in ('text', 'calculate') and q.question not in ('sexe', 'age') %}
    {%- for column, choice in q.columns %}
    {%- set answer = ("'" ~ choice ~ "'") if choice is not none else "cast(" ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ ")" %}
    {%- set condition = (adapter.quote(column) ~ " = 1") if choice is not none else (adapter.quote(column) ~ " is not null") %}
    {%- set sql %}
    select
        r.response_id,
        '{{ survey }}' as survey,
        {{ "r.activity_index" if parent is not none else "cast(null as bigint)" }} as activity_index,
        '{{ q.question }}' as question,
        {{ answer }} as answer
    from {{ relation }} as r
    {%- if parent is not none %}
    inner join {{ parent }} as p
        on r.response_id = p.response_id
        and r.delivery_sha256 = p.delivery_sha256
    {%- endif %}
    where {{ condition }}
    {%- endset %}
    {%- do selects.append(sql) %}
    {%- endfor %}
    {%- endfor %}
    {%- endfor %}
    {{ selects | join("\n    union all") if selects else "select cast(null as " ~ dbt.type_string() ~ ") as response_id, cast(null as " ~ dbt.type_string() ~ ") as survey, cast(null as bigint) as activity_index, cast(null as " ~ dbt.type_string() ~ ") as question, cast(null as " ~ dbt.type_string() ~ ") as answer where false" }}
),

respondents as (
    select response_id, survey, country_iso3, cycle, submitted_on, sex, age
    from {{ ref('int_kobo__returnee_responses') }}
    union all
    select response_id, survey, country_iso3, cycle, submitted_on, sex, age
    from {{ ref('int_kobo__sensitisation_responses') }}
)

select
    {{ dbt.concat([
        "a.response_id", "':'", "coalesce(cast(a.activity_index as " ~ dbt.type_string() ~ "), '')",
        "':'", "a.question", "':'", "a.answer",
    ]) }} as answer_id,
    a.response_id,
    a.survey,
    a.activity_index,
    r.country_iso3,
    r.cycle,
    r.submitted_on,
    r.sex,
    {{ age_band('r.age') }} as age_band,
    a.question,
    a.answer
from answers as a
inner join respondents as r
    on a.response_id = r.response_id

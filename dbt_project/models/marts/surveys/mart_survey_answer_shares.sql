-- The answers of the monitoring surveys as shares, the form every survey chart of the
-- reports takes: for each survey, country, cycle and question, how many respondents gave
-- each answer out of those who answered the question (a multiple-choice question: out of
-- those who ticked at least one option, so shares may add up to more than 1). Labels and
-- the order of the answers come from the questionnaires (seeds survey_questions and
-- survey_choices). Grain: survey, country, cycle, question, answer.
with answered as (
    select
        survey,
        country_iso3,
        cycle,
        question,
        answer,
        count(distinct response_id) as respondents_answering,
        max(submitted_on) as last_submitted_on
    from {{ ref('fct_survey_responses') }}
    group by 1, 2, 3, 4, 5
),

bases as (
    select
        survey,
        country_iso3,
        cycle,
        question,
        count(distinct response_id) as respondents
    from {{ ref('fct_survey_responses') }}
    group by 1, 2, 3, 4
),

labels as (
    select
        questions.survey,
        questions.question,
        questions.label_fr as question_label_fr,
        questions.label_en as question_label_en,
        choices.value as answer,
        choices.label_fr as answer_label_fr,
        choices.label_en as answer_label_en,
        choices.position as answer_position
    from {{ ref('survey_questions') }} as questions
    inner join {{ ref('survey_choices') }} as choices
        on questions.survey = choices.survey
        and questions.choice_list = choices.choice_list
)

select
    answered.survey,
    answered.country_iso3,
    answered.cycle,
    answered.question,
    labels.question_label_fr,
    labels.question_label_en,
    answered.answer,
    labels.answer_label_fr,
    labels.answer_label_en,
    labels.answer_position,
    answered.respondents_answering,
    bases.respondents,
    cast(answered.respondents_answering as double) / bases.respondents as share,
    answered.last_submitted_on
from answered
inner join bases
    on answered.survey = bases.survey
    and answered.country_iso3 = bases.country_iso3
    and answered.cycle = bases.cycle
    and answered.question = bases.question
left join labels
    on answered.survey = labels.survey
    and answered.question = labels.question
    and answered.answer = labels.answer

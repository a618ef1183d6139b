{#- The questions of a KoBo survey, from the seed generated from the questionnaires
    (ingest/survey_seeds.py): a list of {question, type, columns: [(column, answer)]}.
    A select_multiple question is one 0/1 column per choice (`<question>_<choice>`); the
    other questions are one column whose value is the answer. Read at execution time, so a
    model that calls it declares `-- depends_on:` both seeds. -#}
{% macro survey_questions(survey) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set sql -%}
        select q.question, q.question_type, c.value
        from {{ ref('survey_questions') }} as q
        left join {{ ref('survey_choices') }} as c
            on q.question_type = 'select_multiple'
            and c.survey = q.survey
            and c.choice_list = q.choice_list
        where q.survey = '{{ survey }}'
        order by q.position, c.position
    {%- endset -%}
    {%- set questions = [] -%}
    {%- set by_name = {} -%}
    {%- for row in run_query(sql).rows -%}
        {%- if row[0] not in by_name -%}
            {%- do by_name.update({row[0]: {"question": row[0], "type": row[1], "columns": []}}) -%}
            {%- do questions.append(by_name[row[0]]) -%}
        {%- endif -%}
        {%- if row[1] == 'select_multiple' -%}
            {%- do by_name[row[0]]["columns"].append((row[0] ~ "_" ~ row[2], row[2])) -%}
        {%- else -%}
            {%- do by_name[row[0]]["columns"].append((row[0], none)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(questions) }}
{%- endmacro %}

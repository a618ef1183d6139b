{#- Staging of one KoBo questionnaire: its submissions in the current deliveries, the
    metadata renamed to the warehouse's names, then every question column the questionnaire
    defines (survey_questions), in questionnaire order. Both surveys share one bronze table,
    so a survey's rows are those the reader marked with it (`survey`; bronze written before
    that column: the survey its delivery key starts with). -#}
{% macro kobo_responses(survey) -%}
-- depends_on: {{ ref('survey_questions') }}
-- depends_on: {{ ref('survey_choices') }}
with bronze as (
    select *
    from ({{ current_rows(source('bronze_kobo', 'kobo_submissions'), 'kobo') }}) as rows
    where coalesce(survey, {{ dbt.split_part('_delivery_key', "'-'", 1) }}) = '{{ survey }}'
)

select
    uuid as response_id,
    submission_id,
    '{{ survey }}' as survey,
    country as country_iso3,
    cycle,
    form_version,
    validation_status,
    start as started_at,
    {{ adapter.quote('end') }} as ended_at,
    submitted_at,
    cast(submitted_at as date) as submitted_on,
    upper(sexe) as sex,
    age,
    {%- for q in survey_questions(survey) if q.question not in ('sexe', 'age') %}
    {%- for column, answer in q.columns %}
    {{ adapter.quote(column) }},
    {%- endfor %}
    {%- endfor %}
    row_index,
    {{ lineage_columns() }}
from bronze
{%- endmacro %}

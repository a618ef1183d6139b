-- depends_on: {{ ref('survey_questions') }}
-- depends_on: {{ ref('survey_choices') }}
-- One row per activity a sensitisation respondent attended or heard of (the repeat group),
-- current deliveries only, linked to its submission's response_id through the row index
-- the export gives both sheets.
with activities as (
    {{ current_rows(source('bronze_kobo', 'kobo_activities'), 'kobo') }}
),

submissions as (
    select
        _sha256,
        row_index,
        uuid
    from {{ source('bronze_kobo', 'kobo_submissions') }}
    where _sha256 in ({{ current_deliveries('kobo') }})
)

select
    s.uuid as response_id,
    a.row_index as activity_index,
    a.country as country_iso3,
    a.cycle,
    {%- for q in survey_questions('sensitisation_activites') %}
    {%- for column, answer in q.columns %}
    a.{{ adapter.quote(column) }},
    {%- endfor %}
    {%- endfor %}
    {{ lineage_columns('a') }}
from activities as a
left join submissions as s
    on a._sha256 = s._sha256
    and a.parent_index = s.row_index

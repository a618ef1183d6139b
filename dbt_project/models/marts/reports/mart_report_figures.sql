-- depends_on: {{ ref('fct_returns') }}
-- depends_on: {{ ref('fct_assistance_events') }}
-- depends_on: {{ ref('fct_trainings') }}
-- depends_on: {{ ref('fct_kits') }}
-- depends_on: {{ ref('fct_sme_supports') }}
-- depends_on: {{ ref('fct_sensitisation_activities') }}
-- depends_on: {{ ref('dim_beneficiary') }}
-- depends_on: {{ ref('mart_returnee_survey') }}
-- depends_on: {{ ref('mart_sensitisation_survey') }}
-- depends_on: {{ ref('mart_sensitisation_survey_activities') }}
-- Every figure of the Mali and regional reports, computed from the marts. The figures are
-- declared in this model's yml (meta.figures: what each counts, over which mart, with which
-- filter); `{model}` in a filter is another mart. A count is `numerator`; a share is
-- numerator / denominator over the figure's rows; `value` is what a report prints. A count
-- that is part of a whole ("281 des 333") declares the whole's rows (`of`): its
-- denominator, and `share` = numerator / denominator.
{%- set figures = model.config.meta.figures if execute else [] %}
{%- set as_of_columns = model.config.meta.as_of_columns if execute else {} %}


with figures as (
    {%- for f in figures %}
    select
        {{ string_literal(f.report) }} as report,
        {{ string_literal(f.section) }} as section,
        {{ string_literal(f.key) }} as figure_key,
        {{ string_literal(f.label) }} as label,
        {%- if f.query %}
        cast(value as double) as numerator,
        cast(null as double) as denominator,
        cast(value as double) as value,
        {%- elif f.share %}
        cast(sum(case when {{ f.share }} then 1 else 0 end) as double) as numerator,
        cast(count(*) as double) as denominator,
        cast(sum(case when {{ f.share }} then 1 else 0 end) as double)
        / nullif(count(*), 0) as value,
        {%- else %}
        cast(coalesce({{ f.get('value', 'count(*)') }}, 0) as double) as numerator,
        {%- if f.of %}
        cast((
            select count(*) from {{ ref(f['from']) }}
            where {{ with_marts(f.of, as_of_columns) }}
        ) as double) as denominator,
        {%- else %}
        cast(null as double) as denominator,
        {%- endif %}
        cast(coalesce({{ f.get('value', 'count(*)') }}, 0) as double) as value,
        {%- endif %}
        {{ string_literal(f.unit) }} as unit,
        {%- if f.as_of %}
        cast('{{ f.as_of }}' as date) as as_of
        {%- elif f.query %}
        cast(null as date) as as_of
        {%- else %}
        cast(max({{ as_of_columns[f['from']] }}) as date) as as_of
        {%- endif %}
    {%- if f.query %}
    from ({{ with_marts(f.query, as_of_columns) }}) as q (value)
    {%- else %}
    from {{ ref(f['from']) }}
    where {{ with_marts(f.get('where', 'true'), as_of_columns) }}
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if not figures %}
    select
        cast(null as {{ dbt.type_string() }}) as report, cast(null as {{ dbt.type_string() }}) as section,
        cast(null as {{ dbt.type_string() }}) as figure_key, cast(null as {{ dbt.type_string() }}) as label,
        cast(null as double) as numerator, cast(null as double) as denominator,
        cast(null as double) as value, cast(null as {{ dbt.type_string() }}) as unit, cast(null as date) as as_of
    where false
    {%- endif %}
)

-- What the seed report states, and whether the computed value reproduces it: within the
-- stated tolerance, or half a person over the base for a share (11 of 15 is the nearest
-- one gets to 70%), or on the stated side of an "at least" / "at most"; and, where the
-- report states the whole ("des 333"), the computed whole equals it.
select
    figures.report,
    figures.section,
    figures.figure_key,
    figures.label,
    figures.numerator,
    figures.denominator,
    figures.value,
    figures.numerator / nullif(figures.denominator, 0) as share,
    figures.unit,
    coalesce(figures.as_of, (select max(f.as_of) from figures as f)) as as_of,
    statements.statement as stated_text,
    statements.statement_en as stated_text_en,
    statements.stated_value,
    statements.stated_denominator,
    statements.comparison,
    statements.note_en as stated_note_en,
    statements.note_fr as stated_note_fr,
    case
        when statements.figure_key is null then 'not stated'
        when statements.stated_denominator is not null
            and coalesce(figures.denominator, -1) <> statements.stated_denominator
            then 'differs'
        when statements.comparison = 'at_least' and figures.value >= statements.stated_value
            then 'reproduced'
        when statements.comparison = 'at_most' and figures.value <= statements.stated_value
            then 'reproduced'
        when statements.comparison = 'equal'
            and abs(figures.value - statements.stated_value) <= 1e-9 + greatest(
                statements.tolerance,
                case
                    when figures.unit = 'share' and figures.denominator > 0
                        then 0.5 / figures.denominator
                    else 0
                end
            )
            then 'reproduced'
        else 'differs'
    end as reproduction_status
from figures
left join {{ ref('report_statements') }} as statements
    on figures.figure_key = statements.figure_key

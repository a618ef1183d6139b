-- One row per EUTF action (decision or contract). The export repeats one contract with and
-- without its parent, and spells one contract "T05-EUTF-HoA-SO-03" (no parent, no result),
-- the identifier of its decision once upper-cased: the row that names a parent is kept. The
-- level comes from the prefix, or from the identifier's shape when the prefix is missing
-- (DEC: T05-EUTF-SAH-ML-07, CTR: T05-EUTF-SAH-ML-07-02). Identifiers are upper-cased
-- without spaces; a few rows of the export are not IATI identifiers ("YEP PROGRAMMES") and
-- have no window.
with projects as (
    {{ rsr_rows('EUTF_projects_akvo') }}
),

ranked as (
    select
        *,
        {{ rsr_action_id('iati_id') }} as action_id,
        row_number() over (
            partition by {{ rsr_action_id('iati_id') }}
            order by case when project_parent is null then 1 else 0 end, _source_row
        ) as rank_in_id
    from projects
)

select
    action_id as iati_id,
    coalesce(
        prefix,
        case when {{ rsr_parent_id('action_id') }} is null then 'DEC' else 'CTR' end
    ) as action_level,
    {{ rsr_parent_id('action_id') }} as parent_iati_id,
    case when action_id like 'T05-EUTF-%' then split_part(action_id, '-', 3) end as eutf_window,
    -- The code's country part: an ISO2 code, or REG for a regional action.
    case when action_id like 'T05-EUTF-%' then split_part(action_id, '-', 4) end as code_country,
    title,
    summary,
    partner_funding,
    partner_accountable,
    partner_extending,
    partner_implementing,
    date_start,
    date_end,
    budget as budget_eur,
    recipient_country as recipient_countries_iso2,
    _source_file as source_file,
    _source_row as source_row
from ranked
where rank_in_id = 1

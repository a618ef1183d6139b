-- One row per action x result x indicator x period as reported in Akvo RSR. The EUTF common
-- output indicators carry their code at the start of the title ("3.5 bis Number of ...").
-- An indicator title may appear under two results of the same action (two lines).
with results as (
    select
        *,
        {{ rsr_action_id('iati_id') }} as action_id
    from ({{ rsr_rows('EUTF_akvo_results') }}) as bronze
)

select
    action_id as iati_id,
    {{ rsr_parent_id('action_id') }} as parent_iati_id,
    case when action_id like 'T05-EUTF-%' then split_part(action_id, '-', 3) end as eutf_window,
    result_type,
    trim(title) as indicator_title,
    nullif(regexp_extract(trim(title), '^(\d+\.\d+(?: bis)?) ', 1), '') as indicator_code,
    result_type = 'EUTF Common Output Indicators' as is_common_output_indicator,
    period_start,
    period_end,
    target as target_text,
    target_value,
    actual as actual_text,
    actual_value,
    _source_file as source_file,
    _source_row as source_row
from results

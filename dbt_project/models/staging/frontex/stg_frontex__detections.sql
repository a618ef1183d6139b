-- One row per route x border type x nationality x month of the current Frontex release.
-- Each release repeats the full history and supersedes the earlier ones (registry).
{%- set bronze = source('bronze_frontex', 'frontex_detections') %}
{%- set month_columns = columns_matching(bronze, '^[a-z]{3}[0-9]{4}$') %}
{%- set months = [
    'jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'
] %}
with current_rows as (
    {{ current_rows(bronze, 'frontex') }}
),

-- SQL's standard unpivot (DuckDB and Spark alike): months without a figure give no row.
unpivoted as (
    select
        route,
        border_type,
        nationality,
        month_code,
        detections,
        _source_file,
        _source_row,
        _sha256,
        _delivery_key,
        -- The release date is in the file's name (Frontex-Monthly_detections_of_IBC_20220204.csv).
        regexp_extract(_source_file, '_([0-9]{8})[.]', 1) as release_code
    from current_rows
    -- (While dbt parses, the columns are not known: one month stands for them.)
    unpivot (detections for month_code in ({{ month_columns | join(', ') or 'jan2009' }}))
),

aliases as (
    select {{ normalise_name('alias') }} as alias_key, iso3
    from {{ ref('country_aliases') }}
)

select
    cast(
        right(u.month_code, 4) || '-'
        || case left(u.month_code, 3)
            {%- for month in months %}
            when '{{ month }}' then '{{ "%02d" % loop.index }}'
            {%- endfor %}
        end
        || '-01' as date
    ) as month_start,
    u.route,
    u.border_type,
    u.nationality as nationality_name,
    a.iso3 as nationality_iso3,
    cast(u.detections as bigint) as detections,
    u._source_file as source_file,
    cast(
        substring(u.release_code, 1, 4) || '-' || substring(u.release_code, 5, 2) || '-'
        || substring(u.release_code, 7, 2) as date
    ) as frontex_release,
    u._source_row as source_row,
    u._sha256 as delivery_sha256,
    u._delivery_key as delivery_key
from unpivoted as u
left join aliases as a
    on {{ normalise_name('u.nationality') }} = a.alias_key

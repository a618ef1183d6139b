-- One row per route x border type x nationality x month of the current Frontex release.
-- Each release repeats the full history and supersedes the earlier ones (registry).
with current_rows as (
    select * exclude (_feed, _sheet, _ingested_at)
    from {{ source('bronze_frontex', 'frontex_detections') }}
    where _sha256 in ({{ current_deliveries('frontex') }})
),

unpivoted as (
    unpivot current_rows
    on columns('^[a-z]{3}[0-9]{4}$')
    into name month_code value detections
),

aliases as (
    select {{ normalise_name('alias') }} as alias_key, iso3
    from {{ ref('country_aliases') }}
)

select
    make_date(
        cast(right(u.month_code, 4) as integer),
        list_position(
            ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
            left(u.month_code, 3)
        ),
        1
    ) as month_start,
    u.route,
    u.border_type,
    u.nationality as nationality_name,
    a.iso3 as nationality_iso3,
    cast(u.detections as bigint) as detections,
    u._source_file as source_file,
    -- The release date is in the file's name (Frontex-Monthly_detections_of_IBC_20220204.csv).
    cast(strptime(regexp_extract(u._source_file, '_([0-9]{8})[.]', 1), '%Y%m%d') as date)
        as frontex_release,
    u._source_row as source_row,
    u._sha256 as delivery_sha256,
    u._delivery_key as delivery_key
from unpivoted as u
left join aliases as a
    on {{ normalise_name('u.nationality') }} = a.alias_key

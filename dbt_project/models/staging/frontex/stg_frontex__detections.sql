-- One row per route x border type x nationality x month of the current Frontex release.
-- Each release repeats the full history, so only the latest delivery is read.
with bronze as (
    select * from {{ source('bronze', 'frontex_detections') }}
),

current_delivery as (
    select _sha256
    from bronze
    group by _sha256, _delivery_key, _ingested_at
    order by _delivery_key desc, _ingested_at desc
    limit 1
),

current_rows as (
    select * exclude (_feed, _sheet, _ingested_at)
    from bronze
    where _sha256 = (select _sha256 from current_delivery)
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
        cast(right(month_code, 4) as integer),
        list_position(
            ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
            left(month_code, 3)
        ),
        1
    ) as month_start,
    u.route,
    u.border_type,
    u.nationality as nationality_name,
    a.iso3 as nationality_iso3,
    cast(u.detections as bigint) as detections,
    u._source_file as source_file,
    u._source_row as source_row,
    u._sha256 as delivery_sha256,
    u._delivery_key as delivery_key
from unpivoted as u
left join aliases as a
    on {{ normalise_name('u.nationality') }} = a.alias_key

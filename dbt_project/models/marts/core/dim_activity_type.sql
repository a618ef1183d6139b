-- What partners do, one row per activity type: IOM's assistance steps, EJOM's training
-- modules and kit tranches, the sensitisation activity types of AECID and the surveys.
-- `process` is the Mali report's (return, arrival, orientation, training, kits, cash,
-- psychosocial support, sensitisation); `channel` keeps mass media apart from in-person.
select
    activity_type,
    domain,
    process,
    channel,
    label_en,
    label_fr
from {{ ref('activity_types') }}

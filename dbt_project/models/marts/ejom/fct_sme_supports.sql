-- Small enterprises EJOM selected for support. Grain: one row per SME-support submission
-- (an Akvo Instance counted once across deliveries).
select
    {{ dbt.concat(["'EJOM:'", "cast(instance as " ~ dbt.type_string() ~ ")"]) }} as sme_support_id,
    'snv' as partner_id,
    'MLI' as country_iso3,
    sme_name,
    filiere,
    {{ dbt.concat(["'MLI:'", "region"]) }} as region_area_id,
    selected_date,
    jobs_created,
    funding_action,
    {{ is_eutf_funded('funding_action') }} as is_eutf_funded
from (
    {{ first_per_key(
        ref('stg_ejom__smes'), 'instance', 'source_file, source_row', where=akvo_counted()
    ) }}
) as smes

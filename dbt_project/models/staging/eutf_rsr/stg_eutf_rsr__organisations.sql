-- One row per organisation named in the export, with the number of actions in each role.
with orgs as (
    {{ rsr_rows('EUTF_akvo_orgs') }}
)

select
    trim(name) as organisation_name,
    type as iati_organisation_type,
    funding as actions_funding,
    accountable as actions_accountable,
    extending as actions_extending,
    implementing as actions_implementing
from orgs

-- Two spellings that normalise to the same key would duplicate rows in every join on
-- the registry: each normalised alias must be listed once.
select {{ normalise_name('alias') }} as alias_key, count(*) as n
from {{ ref('country_aliases') }}
group by 1
having count(*) > 1

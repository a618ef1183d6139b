{#- The loaded deliveries of one feed, from the build's registry snapshot: what the feed's
    staging reads (macro current_deliveries). One model per feed, so that the lineage says
    which registry rows a staging model depends on and a delivery of one feed rebuilds that
    feed's models only (docs/architecture.md, "Change-driven rebuild"). -#}
{% macro feed_deliveries(feed) -%}
select *
from {{ ref('stg_registry__deliveries') }}
where feed = '{{ feed }}' and status = 'loaded'
{%- endmacro %}

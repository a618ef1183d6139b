{#- The sha256 of the current deliveries of a feed: staging reads bronze rows of these only.
    Superseded deliveries (an earlier version of a corrected month, an older release) stay
    in bronze for audit. -#}
{% macro current_deliveries(feed) -%}
    select sha256
    from {{ ref('stg_registry__' ~ feed ~ '_deliveries') }}
    where is_current
{%- endmacro %}

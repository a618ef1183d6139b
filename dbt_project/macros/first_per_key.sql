{#- One row per key from a relation where a key may repeat (a submission delivered twice,
    in two monthly files or two exports): the row that sorts first by `order_by` wins.
    `where` keeps only the rows that count (Akvo's approved submissions) before ranking.
    Portable row_number, no DuckDB `qualify`. -#}
{% macro first_per_key(relation, key, order_by, where=none) -%}
    select {{ star_except(relation) }}
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as _rank_in_key
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as ranked
    where _rank_in_key = 1
{%- endmacro %}

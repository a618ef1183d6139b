-- One row per month of the programme's life, with its French label (reports) and its quarter.
{% set months_fr = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
] %}
{% set months_case %}{% for name in months_fr %} when {{ loop.index }} then '{{ name }}'{% endfor %}{% endset %}
select
    month_start,
    min(quarter_start) as quarter_start,
    min(year) as year,
    min(quarter) as quarter,
    min(month) as month,
    {{ dbt.concat([
        "case min(month)" ~ months_case ~ " end",
        "' '",
        "cast(min(year) as " ~ dbt.type_string() ~ ")",
    ]) }} as label_fr,
    {{ dbt.concat([
        "cast(min(year) as " ~ dbt.type_string() ~ ")",
        "'-Q'",
        "cast(min(quarter) as " ~ dbt.type_string() ~ ")",
    ]) }}
        as quarter_label
from {{ ref('dim_date') }}
group by month_start

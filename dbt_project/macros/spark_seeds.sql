{#- Seeds on Spark: dbt-spark's `session` method puts each value between quotes unescaped
    (an apostrophe in "Côte d'Ivoire" ends the string, an empty cell becomes 'None'). This
    writes each value as a literal instead (null for an empty cell, macro string_literal
    for a text), so a seed loads whatever it holds. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(
                        col_name, adapter.convert_type(agate_table, loop.index0)
                    ) -%}
                    cast({{ seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else "") }}
{% endmacro %}

{#- One seed value as a SQL literal: null, true/false, a number or a text. -#}
{% macro seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ "true" if value else "false" }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        {{ string_literal(value) }}
    {%- endif -%}
{%- endmacro %}

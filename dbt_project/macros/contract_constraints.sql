{#- A contract's columns and constraints as DuckDB creates the table, without the primary key.
    DuckDB enforces a primary key with an index built row by row on insert (half the time of
    writing fct_order_lines at 10M lines) and kept in memory; the marts' unique and not_null
    tests already prove the key, and the published copy never had the index. Spark and
    Databricks render the contract as dbt does (the key stays informational there). -#}
{% macro duckdb__get_table_columns_and_constraints() -%}
    {%- set columns = {} -%}
    {%- for name, column in model['columns'].items() -%}
        {%- set constraints = column['constraints']
            | rejectattr('type', 'equalto', 'primary_key') | list -%}
        {%- do columns.update({name: dict(column, constraints=constraints)}) -%}
    {%- endfor -%}
    {%- set column_ddl = adapter.render_raw_columns_constraints(raw_columns=columns) -%}
    {%- set model_ddl = adapter.render_raw_model_constraints(
        raw_constraints=model['constraints']
    ) -%}
    (
    {{ (column_ddl + model_ddl) | join(',\n    ') }}
    )
{%- endmacro %}

{#- Spark: every source table as a table over the Parquet file of the same name in `path`
    (engines/spark.py writes them from the raw tables ingest/ loaded), so the models read the
    same source names as on DuckDB. `dbt run-operation register_raw_tables --args "{path: ...}"`. -#}
{#- `schema: marts` registers the marts customer_value/ writes (engines/spark.py). -#}
{% macro register_raw_tables(path, schema='raw') -%}
    {%- for source_node in graph.sources.values() if source_node.schema == schema -%}
        {%- set table = source_node.schema ~ '.' ~ source_node.name -%}
        {%- do run_query('create schema if not exists ' ~ source_node.schema) -%}
        {%- do run_query('drop table if exists ' ~ table) -%}
        {%- do run_query(
            'create table ' ~ table ~ " using parquet location '"
            ~ path ~ '/' ~ source_node.name ~ ".parquet'"
        ) -%}
        {{- log('registered ' ~ table, info=true) -}}
    {%- endfor -%}
{%- endmacro %}

{#- Column types and casts whose name differs by engine; the rest are dbt's own
    (dbt.type_string(), dbt.type_int(), ...). -#}

{#- A point in time (what DuckDB calls timestamp with time zone; Spark's timestamp is one). -#}
{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz')()) }}
{%- endmacro %}

{% macro duckdb__type_timestamp_tz() -%}
    timestamp with time zone
{%- endmacro %}

{% macro spark__type_timestamp_tz() -%}
    timestamp
{%- endmacro %}

{#- A bad value becomes null, also where ANSI mode is on (Databricks SQL warehouses): dbt-spark's
    own safe_cast is a plain cast, which raises there. -#}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- A point in time as text, for keys hashed from it: DuckDB's own rendering
    (2026-03-05 05:03:00.5+00), which Spark writes the same way in a UTC session. -#}
{% macro timestamp_text(timestamp_column) -%}
    {{ return(adapter.dispatch('timestamp_text')(timestamp_column)) }}
{%- endmacro %}

{% macro duckdb__timestamp_text(timestamp_column) -%}
    cast({{ timestamp_column }} as varchar)
{%- endmacro %}

{% macro spark__timestamp_text(timestamp_column) -%}
    date_format({{ timestamp_column }}, 'yyyy-MM-dd HH:mm:ss')
    || regexp_replace('.' || date_format({{ timestamp_column }}, 'SSSSSS'), '[.]?0+$', '')
    || date_format({{ timestamp_column }}, 'x')
{%- endmacro %}

{#- An incremental model reads only the rows of files loaded since its last build: a loaded
    file never changes (the ingest ledger loads the same bytes once), so its rows stay right. -#}
{% macro files_loaded_since_last_build(column='ingest_file_seq') -%}
    {%- if is_incremental() -%}
        where {{ column }} > (select coalesce(max(ingest_file_seq), 0) from {{ this }})
    {%- endif -%}
{%- endmacro %}

{#- How the growing history (order versions, engagement events) is kept. DuckDB replaces a
    reloaded key with delete+insert. On Spark's plain Parquet tables (local runs, CI) a row
    cannot be replaced (only append or overwrite), so the history is rebuilt in full as a
    table; on Delta or Iceberg tables return 'incremental' here, and merge replaces by key. -#}
{% macro history_materialization() -%}
    {{ return(adapter.dispatch('history_materialization')()) }}
{%- endmacro %}

{% macro default__history_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__history_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro history_incremental_strategy() -%}
    {{ return(adapter.dispatch('history_incremental_strategy')()) }}
{%- endmacro %}

{% macro duckdb__history_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__history_incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{#- An incremental model marks the rows this dbt build (re)computed, so that the models built on
    it take up just those keys: a column in the model, a filter in the models that read it. -#}
{% macro this_build_marker() -%}
    '{{ invocation_id }}' as dbt_invocation_id
{%- endmacro %}

{% macro made_in_this_build() -%}
    dbt_invocation_id = '{{ invocation_id }}'
{%- endmacro %}

{#- The orders an incremental model by order takes up: those `recomputed` (re)computed in this
    build, and those whose customer changed since the model kept them (an identity merge re-keys
    old orders). `customers` maps each order_id to its customer_id as it is now; the kept rows
    probe it as they are, with no distinct over them first (fct_order_lines keeps one a line). -#}
{% macro orders_to_take_up(recomputed, customers) -%}
    select order_id from {{ recomputed }}
    where {{ made_in_this_build() }}
    union
    select kept.order_id
    from {{ this }} as kept
    left join {{ customers }} as current_customers
        on kept.order_id = current_customers.order_id
    where current_customers.customer_id is distinct from kept.customer_id
{%- endmacro %}

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
    build, and those whose customer changed since the last build (`customer_changes`, the model
    int_order_customer_changes: an identity merge re-keys old orders). -#}
{% macro orders_to_take_up(recomputed, customer_changes) -%}
    select order_id from {{ recomputed }}
    where {{ made_in_this_build() }}
    union
    select order_id from {{ customer_changes }}
{%- endmacro %}

{#- The customers whose purchase days fct_purchase_days takes up (kept by customer): the
    customers now of the orders int_orders_deduplicated (re)computed in this build, and both
    customers of an order that changed customer (the one that lost it, the one that has it). -#}
{% macro purchase_day_customers_to_take_up() -%}
    select customer_id from {{ ref('fct_orders') }}
    where order_id in (
        select order_id from {{ ref('int_orders_deduplicated') }}
        where {{ made_in_this_build() }}
    )
    union
    select customer_id from {{ ref('int_order_customer_changes') }}
    union
    select previous_customer_id from {{ ref('int_order_customer_changes') }}
{%- endmacro %}

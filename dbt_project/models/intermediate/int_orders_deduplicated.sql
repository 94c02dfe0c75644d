{{ config(
    materialized=history_materialization(),
    unique_key='order_id',
    incremental_strategy=history_incremental_strategy(),
) }}
-- Orders from every shop; an order exported again (paid -> refunded, cancelled...) takes its
-- state from the newest file it appears in. Incremental by order: the newest file of an order
-- in a file a run loaded is one of those files, so the run replaces just those orders.
{%- set columns = [
    'order_id', 'order_name', 'customer_email', 'customer_phone', 'financial_status',
    'ordered_at', 'cancelled_at', 'currency', 'discount_amount', 'refund_amount',
    'ingest_file_seq', 'source_record', 'source', 'customer_account', 'merchandise_amount',
    'items_count', 'lines_count',
] | join(', ') %}

with

-- The shops' versions name the same columns; one list keeps them in the same order.
order_versions as (
    {%- for versions in [
        'int_shopify__order_versions',
        'int_cafe24__order_versions',
        'int_smartstore__order_versions',
    ] %}
        select {{ columns }} from {{ ref(versions) }}
        {{ files_loaded_since_last_build() }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    *,
    -- Which dbt build (re)computed the order: the order-level models take up those orders.
    {{ this_build_marker() }}
from order_versions
qualify row_number() over (
    partition by order_id order by ingest_file_seq desc, source_record desc
) = 1

{{ config(
    materialized=history_materialization(),
    unique_key=['order_id', 'ingest_file_seq'],
    incremental_strategy=history_incremental_strategy(),
) }}
-- One row per Shopify order per export file it appears in, with merchandise from its lines.
-- Incremental: a run adds the rows of the files it loaded; the history never changes.
with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    {{ files_loaded_since_last_build() }}
),

order_lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
    {{ files_loaded_since_last_build() }}
),

-- Line totals from the same file as the order's version.
merchandise as (
    select
        order_id,
        ingest_file_seq,
        sum(quantity * unit_price) as merchandise_amount,
        sum(quantity) as items_count,
        count(*) as lines_count
    from order_lines
    group by order_id, ingest_file_seq
)

select
    orders.order_id,
    orders.order_name,
    orders.customer_email,
    orders.customer_phone,
    orders.financial_status,
    orders.ordered_at,
    orders.cancelled_at,
    orders.currency,
    orders.discount_amount,
    orders.refund_amount,
    orders.ingest_file_seq,
    orders.source_record,
    'shopify' as source,
    cast(null as {{ dbt.type_string() }}) as customer_account,
    coalesce(merchandise.merchandise_amount, 0) as merchandise_amount,
    coalesce(merchandise.items_count, 0) as items_count,
    coalesce(merchandise.lines_count, 0) as lines_count
from orders
left join merchandise
    on
        orders.order_id = merchandise.order_id
        and orders.ingest_file_seq = merchandise.ingest_file_seq
-- A file listing an order twice keeps its last row.
qualify row_number() over (
    partition by orders.order_id, orders.ingest_file_seq order by orders.source_record desc
) = 1

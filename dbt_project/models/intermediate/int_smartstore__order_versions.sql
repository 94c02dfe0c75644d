{{ config(
    materialized=history_materialization(),
    unique_key=['order_id', 'ingest_file_seq'],
    incremental_strategy=history_incremental_strategy(),
) }}
-- One row per SmartStore order (주문번호) per export file, from its product orders.
-- Incremental: a run adds the rows of the files it loaded; the history never changes.
with

product_orders as (
    select * from {{ ref('stg_smartstore__product_orders') }}
    {{ files_loaded_since_last_build() }}
),

rolled_up as (
    select
        order_id,
        ingest_file_seq,
        any_value(order_name) as order_name,
        max(customer_phone) as customer_phone,
        max(buyer_id) as buyer_id,
        {{ financial_status_from_lines('line_state') }} as financial_status,
        min(ordered_at) as ordered_at,
        sum(item_amount) as merchandise_amount,
        coalesce(sum(item_amount) filter (where line_state in ('refunded', 'cancelled')), 0)
            as returned_amount,
        sum(quantity) as items_count,
        count(*) as lines_count,
        min(source_record) as source_record
    from product_orders
    group by order_id, ingest_file_seq
)

select
    order_id,
    order_name,
    customer_phone,
    financial_status,
    ordered_at,
    merchandise_amount,
    items_count,
    lines_count,
    ingest_file_seq,
    source_record,
    'smartstore' as source,
    -- Naver does not hand over the buyer's email.
    cast(null as {{ dbt.type_string() }}) as customer_email,
    'smartstore-buyer-' || buyer_id as customer_account,
    cast(null as {{ type_timestamp_tz() }}) as cancelled_at,
    '{{ var("default_currency") }}' as currency,
    -- 최종 상품별 총 주문금액 is already after product discounts.
    cast(0 as decimal(18, 2)) as discount_amount,
    case
        when financial_status in ('refunded', 'partially_refunded') then returned_amount else 0
    end as refund_amount
from rolled_up

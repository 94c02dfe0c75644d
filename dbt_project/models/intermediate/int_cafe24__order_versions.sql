{{ config(
    materialized=history_materialization(),
    unique_key=['order_id', 'ingest_file_seq'],
    incremental_strategy=history_incremental_strategy(),
) }}
-- One row per Cafe24 order per export file: its items rolled up, status from their states.
-- Incremental: a run adds the rows of the files it loaded; the history never changes.
with

items as (
    select * from {{ ref('stg_cafe24__order_items') }}
    {{ files_loaded_since_last_build() }}
),

rolled_up as (
    select
        order_id,
        ingest_file_seq,
        any_value(order_name) as order_name,
        max(customer_email) as customer_email,
        max(customer_phone) as customer_phone,
        max(member_id) as member_id,
        {{ financial_status_from_lines('line_state') }} as financial_status,
        min(ordered_at) as ordered_at,
        max(currency) as currency,
        sum(item_amount) as merchandise_amount,
        -- Order-level amounts repeat on every item row.
        max(discount_amount) as discount_amount,
        coalesce(sum(item_amount) filter (where line_state in ('refunded', 'cancelled')), 0)
            as returned_amount,
        sum(quantity) as items_count,
        count(*) as lines_count,
        min(source_record) as source_record
    from items
    group by order_id, ingest_file_seq
)

select
    order_id,
    order_name,
    customer_email,
    customer_phone,
    financial_status,
    ordered_at,
    currency,
    merchandise_amount,
    discount_amount,
    items_count,
    lines_count,
    ingest_file_seq,
    source_record,
    'cafe24' as source,
    cast(null as {{ type_timestamp_tz() }}) as cancelled_at,
    'cafe24-member-' || member_id as customer_account,
    case
        when financial_status in ('refunded', 'partially_refunded') then returned_amount else 0
    end as refund_amount
from rolled_up

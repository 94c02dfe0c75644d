-- An order exported again (paid -> refunded, cancelled...) takes its state from the newest file.
with

orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

order_lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
),

latest_versions as (
    select * from orders
    qualify row_number() over (
        partition by order_id order by ingest_file_seq desc, source_record desc
    ) = 1
),

-- Line totals from the same file as the order's newest version.
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
    latest_versions.*,
    coalesce(merchandise.merchandise_amount, 0) as merchandise_amount,
    coalesce(merchandise.items_count, 0) as items_count,
    coalesce(merchandise.lines_count, 0) as lines_count
from latest_versions
left join merchandise
    on
        latest_versions.order_id = merchandise.order_id
        and latest_versions.ingest_file_seq = merchandise.ingest_file_seq

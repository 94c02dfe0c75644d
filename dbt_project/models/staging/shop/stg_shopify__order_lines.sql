{{ config(materialized=history_materialization(), incremental_strategy='append') }}
with

source as (
    select * from {{ source('shop', 'shopify_orders') }}
    {{ files_loaded_since_last_build('_ingest_file_seq') }}
),

renamed as (
    select
        trim(name) as order_name,
        trim(lineitem_name) as product_name,
        nullif(trim(lineitem_sku), '') as product_sku,
        {{ dbt.safe_cast('trim(lineitem_quantity)', 'integer') }} as quantity,
        {{ to_money('lineitem_price') }} as unit_price,
        coalesce({{ to_money('lineitem_discount') }}, 0) as line_discount_amount,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
),

-- Line rows carry only the order's Name; its Id sits on the first row of the same file.
order_ids as (
    select
        _ingest_file_seq as ingest_file_seq,
        trim(name) as order_name,
        'shopify-' || trim(id) as order_id
    from source
    where id is not null
),

numbered as (
    select
        renamed.*,
        order_ids.order_id,
        row_number() over (
            partition by order_ids.order_id, renamed.ingest_file_seq
            order by renamed.source_record
        ) as line_number
    from renamed
    left join order_ids
        on
            renamed.ingest_file_seq = order_ids.ingest_file_seq
            and renamed.order_name = order_ids.order_name
)

select
    *,
    order_id || '-' || line_number as order_line_id
from numbered

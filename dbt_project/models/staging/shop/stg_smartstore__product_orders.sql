{{ config(materialized=history_materialization(), incremental_strategy='append') }}
with

source as (
    select * from {{ source('shop', 'smartstore_orders') }}
    {{ files_loaded_since_last_build('_ingest_file_seq') }}
),

renamed as (
    select
        'smartstore-' || trim(order_no) as order_id,
        trim(order_no) as order_name,
        trim(product_order_no) as product_order_no,
        -- Naver masks buyer ids (abcd****); only an unmasked id tells buyers apart.
        case when buyer_id not like '%*%' then trim(buyer_id) end as buyer_id,
        trim(buyer_name) as customer_name,
        buyer_phone as customer_phone_raw,
        {{ phone_e164('buyer_phone') }} as customer_phone,
        coalesce({{ parse_timestamp('ordered_at') }}, {{ parse_timestamp('paid_at') }})
            as ordered_at,
        {{ parse_timestamp('paid_at') }} as paid_at,
        trim(product_name) as product_name,
        {{ dbt.safe_cast('trim(quantity)', 'integer') }} as quantity,
        -- 최종 상품별 총 주문금액: the product order's total after product discounts.
        {{ to_money('item_total') }} as item_amount,
        trim(order_status) as order_status,
        nullif(trim(claim_status), '') as claim_status,
        {{ korean_line_state("trim(order_status) || ' ' || coalesce(trim(claim_status), '')") }}
            as line_state,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

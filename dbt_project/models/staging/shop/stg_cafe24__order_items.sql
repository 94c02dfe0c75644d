{{ config(materialized=history_materialization(), incremental_strategy='append') }}
with

source as (
    select * from {{ source('shop', 'cafe24_orders') }}
    {{ files_loaded_since_last_build('_ingest_file_seq') }}
),

renamed as (
    select
        'cafe24-' || trim(order_no) as order_id,
        trim(order_no) as order_name,
        nullif(trim(member_id), '') as member_id,
        trim(orderer_name) as customer_name,
        orderer_email as customer_email_raw,
        {{ normalize_email('orderer_email') }} as customer_email,
        orderer_phone as customer_phone_raw,
        {{ phone_e164('orderer_phone') }} as customer_phone,
        {{ parse_timestamp('ordered_at') }} as ordered_at,
        trim(product_name) as product_name,
        {{ dbt.safe_cast(regexp_replace_all("trim(quantity)", "'[^0-9]'", "''"), 'integer') }}
            as quantity,
        -- 상품구매금액: the item's price times its quantity.
        {{ to_money('item_amount') }} as item_amount,
        {{ to_money('order_total') }} as order_total_amount,
        coalesce({{ to_money('discount_amount') }}, 0) as discount_amount,
        upper(coalesce(nullif(trim(currency), ''), '{{ var("default_currency") }}')) as currency,
        trim(order_status) as order_status,
        {{ korean_line_state('trim(order_status)') }} as line_state,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

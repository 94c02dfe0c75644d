{{ config(materialized=history_materialization(), incremental_strategy='append') }}
with

source as (
    select * from {{ source('shop', 'shopify_orders') }}
    {{ files_loaded_since_last_build('_ingest_file_seq') }}
),

-- Shopify writes the order-level fields (Id, status, money) on an order's first row only.
order_rows as (
    select * from source
    where id is not null
),

renamed as (
    select
        'shopify-' || trim(id) as order_id,
        trim(name) as order_name,
        email as customer_email_raw,
        {{ normalize_email('email') }} as customer_email,
        coalesce(phone, billing_phone) as customer_phone_raw,
        {{ phone_e164('coalesce(phone, billing_phone)') }} as customer_phone,
        trim(billing_name) as customer_name,
        lower(trim(financial_status)) as financial_status,
        {{ parse_timestamp('created_at') }} as ordered_at,
        {{ parse_timestamp('paid_at') }} as paid_at,
        {{ parse_timestamp('cancelled_at') }} as cancelled_at,
        upper(coalesce(nullif(trim(currency), ''), '{{ var("default_currency") }}')) as currency,
        {{ to_money('subtotal') }} as subtotal_amount,
        coalesce({{ to_money('discount_amount') }}, 0) as discount_amount,
        coalesce({{ to_money('refunded_amount') }}, 0) as refund_amount,
        coalesce({{ to_money('shipping') }}, 0) as shipping_amount,
        {{ yes_no('accepts_marketing') }} as accepts_marketing,
        nullif(trim(landing_site), '') as landing_site,
        nullif(trim(referring_site), '') as referring_site,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from order_rows
)

select * from renamed

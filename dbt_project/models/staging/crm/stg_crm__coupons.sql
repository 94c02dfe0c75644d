with

source as (
    select * from {{ source('crm', 'crm_coupons') }}
),

renamed as (
    select
        trim(coupon_code) as coupon_code,
        trim(coupon_name) as coupon_name,
        trim(contact_id) as contact_id,
        nullif(trim(campaign_id), '') as campaign_id,
        {{ to_money('discount_amount') }} as discount_amount,
        {{ parse_timestamp('issued_at') }} as issued_at,
        {{ parse_timestamp('expires_at') }} as expires_at,
        {{ parse_timestamp('redeemed_at') }} as redeemed_at,
        nullif(trim(order_id), '') as order_name,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

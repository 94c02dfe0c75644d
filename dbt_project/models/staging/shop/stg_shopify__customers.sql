with

source as (
    select * from {{ source('shop', 'shopify_customers') }}
),

renamed as (
    select
        nullif(trim(customer_id), '') as shopify_customer_id,
        trim(concat_ws(' ', trim(last_name), trim(first_name))) as customer_name,
        email as customer_email_raw,
        {{ normalize_email('email') }} as customer_email,
        coalesce(phone, default_address_phone) as customer_phone_raw,
        {{ phone_e164('coalesce(phone, default_address_phone)') }} as customer_phone,
        -- Blank (an older layout without the column) is no answer, not a refusal.
        {{ consent_answer('accepts_email_marketing') }} as accepts_email_marketing,
        {{ consent_answer('accepts_sms_marketing') }} as accepts_sms_marketing,
        upper(trim(default_address_country_code)) as country_code,
        trim(default_address_province_code) as province_code,
        coalesce({{ to_money('total_spent') }}, 0) as total_spent,
        {{ dbt.safe_cast('trim(total_orders)', 'integer') }} as orders_count,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq,
        _loaded_at as loaded_at
    from source
)

select * from renamed

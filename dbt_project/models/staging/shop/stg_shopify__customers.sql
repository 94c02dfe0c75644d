{{ config(materialized=history_materialization(), incremental_strategy='append') }}
with

source as (
    select * from {{ source('shop', 'shopify_customers') }}
    {{ files_loaded_since_last_build('_ingest_file_seq') }}
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
        {%- for channel in ['email', 'sms'] %}
            -- A state, where the export gives one, says more than the yes/no flag: only
            -- "subscribed" is consent; pending, not subscribed, invalid... are not.
            case
                when nullif(trim({{ channel }}_marketing_status), '') is null then null
                when lower(trim({{ channel }}_marketing_status)) = 'subscribed' then 'opted_in'
                when lower(trim({{ channel }}_marketing_status)) = 'unsubscribed'
                    then 'unsubscribed'
                else 'opted_out'
            end as {{ channel }}_marketing_state,
            {{ parse_timestamp(channel ~ '_marketing_updated_at') }}
                as {{ channel }}_marketing_updated_at,
        {%- endfor %}
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

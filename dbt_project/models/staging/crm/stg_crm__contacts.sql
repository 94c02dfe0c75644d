with

source as (
    select * from {{ source('crm', 'crm_contacts') }}
),

renamed as (
    select
        trim(contact_id) as contact_id,
        trim(name) as customer_name,
        email as customer_email_raw,
        {{ normalize_email('email') }} as customer_email,
        phone as customer_phone_raw,
        {{ phone_e164('phone') }} as customer_phone,
        {{ consent_answer('email_consent') }} as email_consent,
        {{ parse_timestamp('email_consent_date') }} as email_consent_at,
        {{ parse_timestamp('email_reconfirmed_at') }} as email_reconfirmed_at,
        {{ consent_answer('sms_consent') }} as sms_consent,
        {{ parse_timestamp('sms_consent_date') }} as sms_consent_at,
        {{ parse_timestamp('sms_reconfirmed_at') }} as sms_reconfirmed_at,
        {{ consent_answer('kakao_consent') }} as kakao_consent,
        {{ parse_timestamp('kakao_consent_date') }} as kakao_consent_at,
        {{ parse_timestamp('kakao_reconfirmed_at') }} as kakao_reconfirmed_at,
        {{ consent_answer('night_consent') }} as night_consent,
        {{ normalize_handle('instagram_handle') }} as instagram_handle,
        {{ parse_timestamp('created_at') }} as created_at,
        {{ parse_timestamp('updated_at') }} as updated_at,
        _ingest_file_seq as ingest_file_seq
    from source
)

select
    {{ customer_key('customer_email', 'customer_phone', "'crm-' || contact_id") }} as customer_id,
    *
from renamed

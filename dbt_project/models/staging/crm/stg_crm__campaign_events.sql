with

source as (
    select * from {{ source('crm', 'crm_campaign_events') }}
),

renamed as (
    select
        trim(campaign_id) as campaign_id,
        trim(campaign_name) as campaign_name,
        lower(trim(channel)) as channel,
        nullif(trim(message_id), '') as message_id,
        trim(contact_id) as contact_id,
        {{ normalize_email('email') }} as customer_email,
        {{ phone_e164('phone') }} as customer_phone,
        lower(trim(event_type)) as event_type,
        {{ parse_timestamp('occurred_at') }} as occurred_at,
        nullif(trim(url), '') as url,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

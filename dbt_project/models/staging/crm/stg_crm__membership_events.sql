with

source as (
    select * from {{ source('crm', 'crm_membership_events') }}
),

renamed as (
    select
        trim(member_id) as member_id,
        -- site, naver_band, kakao_channel, community: the brand's name for the membership.
        lower(replace(trim(membership), ' ', '_')) as membership,
        lower(replace(trim(event_type), ' ', '_')) as event_type,
        {{ parse_timestamp('occurred_at') }} as occurred_at,
        nullif(trim(contact_id), '') as contact_id,
        email as customer_email_raw,
        {{ normalize_email('email') }} as customer_email,
        phone as customer_phone_raw,
        {{ phone_e164('phone') }} as customer_phone,
        nullif(trim(tier), '') as tier,
        nullif(trim(previous_tier), '') as previous_tier,
        {{ normalize_handle('handle') }} as handle,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

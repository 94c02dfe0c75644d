with

source as (
    select * from {{ source('sns', 'sns_referrals') }}
),

renamed as (
    select
        {{ normalize_handle('referrer') }} as referrer_handle,
        {{ normalize_handle('referred') }} as referred_handle,
        trim(code) as referral_code,
        {{ parse_timestamp('referred_at') }} as referred_at,
        lower(trim(platform)) as platform,
        nullif(trim(order_id), '') as order_name,
        {{ to_money('reward') }} as reward_amount,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

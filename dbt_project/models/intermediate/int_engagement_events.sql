{{ config(
    materialized=history_materialization(),
    unique_key='event_id',
    incremental_strategy=history_incremental_strategy(),
) }}
-- Every engagement event once, with the identifiers that say whose it is. Incremental: a run
-- reads only files loaded since the last one; an event exported again takes the newer file's
-- row, as a full rebuild would. Resolving who it belongs to happens in fct_engagement_events,
-- since a new file can join two people long after their events were loaded.
with

sns as (
    select * from {{ ref('stg_sns__engagement_events') }}
),

campaigns as (
    select * from {{ ref('stg_crm__campaign_events') }}
),

memberships as (
    select * from {{ ref('stg_crm__membership_events') }}
),

coupons as (
    select * from {{ ref('stg_crm__coupons') }}
),

referrals as (
    select * from {{ ref('stg_sns__referrals') }}
),

-- A coupon is two events: issued, and redeemed once it is used.
coupon_moments as (
    select
        *,
        'issued' as event_type,
        issued_at as occurred_at
    from coupons
    union all
    select
        *,
        'redeemed' as event_type,
        redeemed_at as occurred_at
    from coupons
    where redeemed_at is not null
),

-- A referral is made by the referrer and received by the friend.
referral_sides as (
    select
        *,
        'referral_made' as event_type,
        referrer_handle as sns_handle
    from referrals
    union all
    select
        *,
        'referral_received' as event_type,
        referred_handle as sns_handle
    from referrals
    where referred_handle is not null
),

-- Every source lists the same columns in the same order; those it does not have are null.
events as (
    select
        md5(concat_ws(
            '|', 'sns', platform, handle, event_type, post_id, {{ timestamp_text('occurred_at') }}
        )) as event_id,
        'sns' as event_source,
        event_type,
        occurred_at,
        platform as channel,
        handle as sns_handle,
        ingest_file_seq,
        null as campaign_id,
        null as crm_contact_id,
        null as customer_email,
        null as customer_phone,
        null as member_id,
        rating
    from sns

    union all

    select
        md5(concat_ws(
            '|', 'campaign', campaign_id, coalesce(message_id, contact_id), event_type,
            {{ timestamp_text('occurred_at') }}
        )) as event_id,
        'campaign' as event_source,
        event_type,
        occurred_at,
        channel,
        null as sns_handle,
        ingest_file_seq,
        campaign_id,
        contact_id as crm_contact_id,
        customer_email,
        customer_phone,
        null as member_id,
        null as rating
    from campaigns

    union all

    select
        md5(concat_ws(
            '|', 'membership', member_id, event_type, {{ timestamp_text('occurred_at') }}
        )) as event_id,
        'membership' as event_source,
        event_type,
        occurred_at,
        membership as channel,
        handle as sns_handle,
        ingest_file_seq,
        null as campaign_id,
        contact_id as crm_contact_id,
        customer_email,
        customer_phone,
        member_id,
        null as rating
    from memberships

    union all

    select
        md5(concat_ws('|', 'coupon', coupon_code, event_type)) as event_id,
        'coupon' as event_source,
        event_type,
        occurred_at,
        null as channel,
        null as sns_handle,
        ingest_file_seq,
        campaign_id,
        contact_id as crm_contact_id,
        null as customer_email,
        null as customer_phone,
        null as member_id,
        null as rating
    from coupon_moments

    union all

    select
        md5(concat_ws(
            '|', 'referral', referrer_handle, referred_handle,
            {{ timestamp_text('referred_at') }}, event_type
        )) as event_id,
        'referral' as event_source,
        event_type,
        referred_at as occurred_at,
        platform as channel,
        sns_handle,
        ingest_file_seq,
        referral_code as campaign_id,
        null as crm_contact_id,
        null as customer_email,
        null as customer_phone,
        null as member_id,
        null as rating
    from referral_sides
)

select * from events
{% if is_incremental() %}
    where ingest_file_seq > (select coalesce(max(ingest_file_seq), 0) from {{ this }})
{% endif %}
qualify row_number() over (partition by event_id order by ingest_file_seq desc) = 1

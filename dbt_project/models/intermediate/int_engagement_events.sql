{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
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

events as (
    select
        md5(concat_ws('|', 'sns', platform, handle, event_type, post_id, occurred_at))
            as event_id,
        'sns' as event_source,
        event_type,
        occurred_at,
        platform as channel,
        cast(null as varchar) as campaign_id,
        handle as sns_handle,
        cast(null as varchar) as crm_contact_id,
        cast(null as varchar) as member_id,
        cast(null as varchar) as customer_email,
        cast(null as varchar) as customer_phone,
        ingest_file_seq
    from sns

    union all

    select
        md5(concat_ws(
            '|', 'campaign', campaign_id, coalesce(message_id, contact_id), event_type, occurred_at
        )) as event_id,
        'campaign' as event_source,
        event_type,
        occurred_at,
        channel,
        campaign_id,
        cast(null as varchar) as sns_handle,
        contact_id as crm_contact_id,
        cast(null as varchar) as member_id,
        customer_email,
        customer_phone,
        ingest_file_seq
    from campaigns

    union all

    select
        md5(concat_ws('|', 'membership', member_id, event_type, occurred_at)) as event_id,
        'membership' as event_source,
        event_type,
        occurred_at,
        membership as channel,
        cast(null as varchar) as campaign_id,
        handle as sns_handle,
        contact_id as crm_contact_id,
        member_id,
        customer_email,
        customer_phone,
        ingest_file_seq
    from memberships

    union all

    -- A coupon is two events: issued, and redeemed once it is used.
    select
        md5(concat_ws('|', 'coupon', coupon_code, coupon_event.event_type)) as event_id,
        'coupon' as event_source,
        coupon_event.event_type,
        coupon_event.occurred_at,
        cast(null as varchar) as channel,
        coupons.campaign_id,
        cast(null as varchar) as sns_handle,
        coupons.contact_id as crm_contact_id,
        cast(null as varchar) as member_id,
        cast(null as varchar) as customer_email,
        cast(null as varchar) as customer_phone,
        coupons.ingest_file_seq
    from coupons
    cross join
        (select 'issued' as event_type union all select 'redeemed' as event_type) as kinds
    cross join lateral (
        select
            kinds.event_type,
            case kinds.event_type
                when 'issued' then coupons.issued_at else coupons.redeemed_at
            end as occurred_at
    ) as coupon_event
    where coupon_event.occurred_at is not null

    union all

    -- A referral is made by the referrer and received by the friend.
    select
        md5(concat_ws(
            '|', 'referral', referrer_handle, referred_handle, referred_at, side.event_type
        )) as event_id,
        'referral' as event_source,
        side.event_type,
        referrals.referred_at as occurred_at,
        referrals.platform as channel,
        referrals.referral_code as campaign_id,
        case side.event_type
            when 'referral_made' then referrals.referrer_handle else referrals.referred_handle
        end as sns_handle,
        cast(null as varchar) as crm_contact_id,
        cast(null as varchar) as member_id,
        cast(null as varchar) as customer_email,
        cast(null as varchar) as customer_phone,
        referrals.ingest_file_seq
    from referrals
    cross join
        (
            select 'referral_made' as event_type
            union all
            select 'referral_received' as event_type
        ) as side
    where side.event_type = 'referral_made' or referrals.referred_handle is not null
)

select * from events
{% if is_incremental() %}
    where ingest_file_seq > (select coalesce(max(ingest_file_seq), 0) from {{ this }})
{% endif %}
qualify row_number() over (partition by event_id order by ingest_file_seq desc) = 1

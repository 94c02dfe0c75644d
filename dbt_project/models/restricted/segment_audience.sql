-- The people a segment list may contain: members with an opt-in for the segment's channel.
with

members as (
    select * from {{ ref('segment_members') }}
),

contacts as (
    select * from {{ ref('customer_contacts') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

reachable as (
    select
        members.segment_name,
        members.channel,
        members.customer_id,
        members.reason,
        contacts.customer_name,
        contacts.night_consent,
        case members.channel
            when 'email' then contacts.email
            else contacts.phone_e164
        end as contact,
        case members.channel
            when 'email' then contacts.email_consent
            when 'sms' then contacts.sms_consent
            when 'kakao' then contacts.kakao_consent
        end as has_channel_consent
    from members
    inner join contacts on members.customer_id = contacts.customer_id
)

select
    reachable.segment_name,
    reachable.channel,
    reachable.customer_id,
    reachable.customer_name,
    reachable.contact,
    reachable.night_consent,
    reachable.reason,
    rfm.rfm_segment,
    rfm.recency_days,
    rfm.frequency,
    rfm.monetary
from reachable
inner join rfm on reachable.customer_id = rfm.customer_id
where reachable.has_channel_consent and reachable.contact is not null

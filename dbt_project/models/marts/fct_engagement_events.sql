-- One row per engagement event of any kind, with the resolved customer. No handle, email or
-- phone leaves this model: strangers are told apart by a salted hash of their SNS handle.
with

events as (
    select * from {{ ref('int_engagement_events') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

-- The most specific identifier an event carries names its customer.
resolved as (
    select
        events.*,
        coalesce(
            by_contact.customer_id,
            by_member.customer_id,
            by_handle.customer_id,
            by_email.customer_id,
            by_phone.customer_id
        ) as customer_id
    from events
    left join identities as by_contact
        on
            by_contact.identifier_type = 'crm_contact_id'
            and events.crm_contact_id = by_contact.identifier_value
    left join identities as by_member
        on
            by_member.identifier_type = 'member_id'
            and events.member_id = by_member.identifier_value
    left join identities as by_handle
        on
            by_handle.identifier_type = 'sns_handle'
            and events.sns_handle = by_handle.identifier_value
    left join identities as by_email
        on
            by_email.identifier_type = 'email'
            and events.customer_email = by_email.identifier_value
    left join identities as by_phone
        on
            by_phone.identifier_type = 'phone'
            and events.customer_phone = by_phone.identifier_value
)

select
    cast(event_id as varchar) as event_id,
    cast(event_source as varchar) as event_source,
    cast(event_type as varchar) as event_type,
    cast(occurred_at as timestamp with time zone) as occurred_at,
    cast({{ local_date('occurred_at') }} as date) as occurred_date,
    cast(customer_id as varchar) as customer_id,
    cast(
        case
            when sns_handle is not null
                then md5('{{ var("customer_key_salt") }}' || 'sns:' || sns_handle)
        end as varchar
    ) as handle_key,
    cast(channel as varchar) as channel,
    cast(campaign_id as varchar) as campaign_id
from resolved

-- Every marketing-consent fact any source recorded, one row each: what a person said, on
-- which channel, when. customer_channel_consent keeps the newest per customer and channel.
with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

shop_customers as (
    select * from {{ ref('stg_shopify__customers') }}
),

campaign_events as (
    select * from {{ ref('stg_crm__campaign_events') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

crm_answers as (
    -- Channel night: consent to messages between 21:00 and 08:00 (its own consent by law).
    {%- set no_time = 'cast(null as ' ~ type_timestamp_tz() ~ ')' %}
    {%- for channel in ['email', 'sms', 'kakao', 'night'] %}
        {{ 'union all' if not loop.first }}
        select
            'crm_contacts' as source,
            'crm_contact_id' as identifier_type,
            contact_id as identifier_value,
            '{{ channel }}' as channel,
            {{ channel }}_consent as is_opted_in,
            {{ no_time if channel == 'night' else channel ~ '_consent_at' }} as consent_at,
            {{ no_time if channel == 'night' else channel ~ '_reconfirmed_at' }} as reconfirmed_at,
            created_at,
            updated_at
        from contacts
        -- A blank answer is no fact: the six-month exception may apply to such a buyer.
        where {{ channel }}_consent is not null
    {%- endfor %}
),

crm_facts as (
    select
        source,
        identifier_type,
        identifier_value,
        channel,
        case when is_opted_in then 'opted_in' else 'opted_out' end as status,
        -- An opt-in counts from when it was given; a refusal from the record's last update.
        case
            when is_opted_in
                then coalesce(greatest(consent_at, reconfirmed_at), created_at, updated_at)
            else coalesce(updated_at, consent_at, created_at)
        end as recorded_at,
        case
            when is_opted_in then coalesce(greatest(consent_at, reconfirmed_at), created_at)
        end as confirmed_at
    from crm_answers
),

shop_answers as (
    {%- for channel in ['email', 'sms'] %}
        {{ 'union all' if not loop.first }}
        select
            coalesce('email:' || customer_email, 'phone:' || customer_phone) as person,
            case when customer_email is not null then 'email' else 'phone' end as identifier_type,
            coalesce(customer_email, customer_phone) as identifier_value,
            '{{ channel }}' as channel,
            coalesce(
                {{ channel }}_marketing_state,
                case
                    when accepts_{{ channel }}_marketing then 'opted_in'
                    when not accepts_{{ channel }}_marketing then 'opted_out'
                end
            ) as status,
            {{ channel }}_marketing_updated_at as updated_at,
            ingest_file_seq,
            loaded_at
        from shop_customers
        where
            {{ channel }}_marketing_state is not null
            or accepts_{{ channel }}_marketing is not null
    {%- endfor %}
),

shop_changes as (
    select
        *,
        lag(status) over (
            partition by person, channel order by ingest_file_seq
        ) as previous_status
    from shop_answers
    where identifier_value is not null
),

shop_facts as (
    -- A state with its date (newer exports) is a dated fact like a CRM answer. Without one,
    -- the export is an undated snapshot: a refusal dates from the export that showed it; an
    -- opt-in only from an export that showed it change (no, then yes). An opt-in seen from
    -- the start has no date, so every dated fact outranks it: a stale "yes" never beats an
    -- unsubscribe. Consent is still confirmed as of the export that showed it.
    select
        'shopify_customers' as source,
        identifier_type,
        identifier_value,
        channel,
        status,
        case
            when updated_at is not null then updated_at
            when status != 'opted_in' or previous_status is not null then loaded_at
        end as recorded_at,
        case when status = 'opted_in' then coalesce(updated_at, loaded_at) end as confirmed_at
    from shop_changes
    where updated_at is not null or previous_status is null or status != previous_status
),

campaign_identifiers as (
    -- An unsubscribe must reach the person by any identifier the event carries.
    select
        *,
        'crm_contact_id' as identifier_type,
        contact_id as identifier_value
    from campaign_events
    union all
    select
        *,
        'email' as identifier_type,
        customer_email as identifier_value
    from campaign_events
    union all
    select
        *,
        'phone' as identifier_type,
        customer_phone as identifier_value
    from campaign_events
),

campaign_facts as (
    select
        'crm_campaign_events' as source,
        identifier_type,
        identifier_value,
        channel,
        event_type as status,
        occurred_at as recorded_at,
        cast(null as {{ type_timestamp_tz() }}) as confirmed_at
    from campaign_identifiers
    where event_type in ('unsubscribed', 'bounced') and identifier_value is not null
),

facts as (
    select * from crm_facts
    union all
    select * from shop_facts
    union all
    select * from campaign_facts
)

select distinct
    cast(facts.source as {{ dbt.type_string() }}) as source,
    cast(identities.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(facts.identifier_type as {{ dbt.type_string() }}) as identifier_type,
    cast(facts.channel as {{ dbt.type_string() }}) as channel,
    cast(facts.status as {{ dbt.type_string() }}) as status,
    cast(facts.recorded_at as {{ type_timestamp_tz() }}) as recorded_at,
    cast(facts.confirmed_at as {{ type_timestamp_tz() }}) as confirmed_at
from facts
inner join identities
    on
        facts.identifier_type = identities.identifier_type
        and facts.identifier_value = identities.identifier_value

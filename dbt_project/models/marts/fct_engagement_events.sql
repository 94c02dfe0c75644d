-- One row per engagement event of any kind, with the resolved customer. No handle, email or
-- phone leaves this model: strangers are told apart by a salted hash of their SNS handle.
with

events as (
    select * from {{ ref('int_engagement_events') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

-- The most specific identifier an event carries names its customer: this order decides.
{%- set identifiers = [
    ('by_contact', 'crm_contact_id', 'crm_contact_id'),
    ('by_member', 'member_id', 'member_id'),
    ('by_handle', 'sns_handle', 'sns_handle'),
    ('by_email', 'email', 'customer_email'),
    ('by_phone', 'phone', 'customer_phone'),
] %}
resolved as (
    select
        events.*,
        coalesce(
            {%- for alias, _, _ in identifiers %}
                {{ alias }}.customer_id{{ ',' if not loop.last }}
            {%- endfor %}
        ) as customer_id
    from
        events
    {%- for alias, identifier_type, column in identifiers %}
        left join identities as {{ alias }}
            on
                {{ alias }}.identifier_type = '{{ identifier_type }}'
                and events.{{ column }} = {{ alias }}.identifier_value
    {%- endfor %}
)

select
    cast(event_id as {{ dbt.type_string() }}) as event_id,
    cast(event_source as {{ dbt.type_string() }}) as event_source,
    cast(event_type as {{ dbt.type_string() }}) as event_type,
    cast(occurred_at as {{ type_timestamp_tz() }}) as occurred_at,
    cast({{ local_date('occurred_at') }} as date) as occurred_date,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(
        case
            when sns_handle is not null
                then md5('{{ var("customer_key_salt") }}' || 'sns:' || sns_handle)
        end as {{ dbt.type_string() }}
    ) as handle_key,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(rating as decimal(4, 2)) as rating
from resolved

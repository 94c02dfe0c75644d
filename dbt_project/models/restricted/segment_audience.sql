-- Every segment member with the channel's contact point and consent, and why anyone may not
-- be contacted (exclusion_reason); the export writes only the rows where it is null.
{%- set night_segments = [] %}
{%- for segment in var('segments') if segment.night_sending %}
    {%- do night_segments.append(segment.name) %}
{%- endfor %}
with

members as (
    select * from {{ ref('segment_members') }}
),

contacts as (
    select * from {{ ref('customer_contacts') }}
),

consent as (
    select * from {{ ref('customer_channel_consent') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

suppressed as (
    select * from {{ ref('suppressed_contact_points') }}
),

reachable as (
    select
        members.segment_name,
        members.channel,
        members.customer_id,
        members.reason,
        contacts.customer_name,
        contacts.email,
        contacts.phone_e164,
        case members.channel
            when 'email' then contacts.email
            else contacts.phone_e164
        end as contact,
        channel_consent.consent_status,
        channel_consent.consent_source,
        channel_consent.consent_recorded_at,
        coalesce(channel_consent.is_consent_expired, false) as is_consent_expired,
        coalesce(
            night_consent.consent_status = 'opted_in' and not night_consent.is_consent_expired,
            false
        ) as night_consent,
        -- The segment sends between 21:00 and 08:00 (night_sending in dangol.yaml).
        {% if night_segments -%}
            members.segment_name in (
                {%- for name in night_segments -%}
                    {{ segment_literal(name) }}{{ ', ' if not loop.last }}
                {%- endfor -%}
            )
        {%- else -%}
            false
        {%- endif %} as needs_night_consent,
        -- On the brand's suppression list by any of the person's contact points.
        (
            suppressed_email.contact_point is not null
            or suppressed_phone.contact_point is not null
        ) as is_suppressed,
        -- Article 50(1)1, when the brand turned it on: a recent buyer who never answered.
        {{ var('recent_buyer_exception') }}
        and channel_consent.consent_status is null
        and coalesce(
            customers.last_order_at >= {{ dbt.dateadd(
                'day', -var('recent_buyer_exception_days'), dbt.current_timestamp()
            ) }},
            false
        ) as is_recent_buyer_exception
    from members
    left join contacts on members.customer_id = contacts.customer_id
    left join consent as channel_consent
        on
            members.customer_id = channel_consent.customer_id
            and members.channel = channel_consent.channel
    left join consent as night_consent
        on
            members.customer_id = night_consent.customer_id
            and night_consent.channel = 'night'
    left join customers on members.customer_id = customers.customer_id
    left join suppressed as suppressed_email
        on
            suppressed_email.contact_type = 'email'
            and contacts.email = suppressed_email.contact_point
    left join suppressed as suppressed_phone
        on
            suppressed_phone.contact_type = 'phone'
            and contacts.phone_e164 = suppressed_phone.contact_point
),

final as (
    select
        reachable.*,
        case
            when reachable.contact is null then 'no_contact'
            when reachable.consent_status = 'bounced' then 'bounced'
            when reachable.consent_status = 'unsubscribed' then 'unsubscribed'
            when reachable.consent_status = 'opted_out' then 'no_consent'
            -- The recent-buyer exception stands in for an answer never given, nothing more.
            when
                reachable.consent_status is null and not reachable.is_recent_buyer_exception
                then 'no_consent'
            when
                reachable.is_consent_expired and {{ var('exclude_expired_consent') }}
                and not reachable.is_recent_buyer_exception
                then 'consent_expired'
            when reachable.is_suppressed then 'suppressed'
            when reachable.needs_night_consent and not reachable.night_consent
                then 'no_night_consent'
        end as exclusion_reason,
        case
            when reachable.is_recent_buyer_exception then 'recent_buyer_exception'
            else 'opt_in'
        end as consent_basis
    from reachable
)

select
    cast(final.segment_name as {{ dbt.type_string() }}) as segment_name,
    cast(final.channel as {{ dbt.type_string() }}) as channel,
    cast(final.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(final.customer_name as {{ dbt.type_string() }}) as customer_name,
    cast(final.contact as {{ dbt.type_string() }}) as contact,
    cast(final.email as {{ dbt.type_string() }}) as email,
    cast(final.phone_e164 as {{ dbt.type_string() }}) as phone_e164,
    cast(final.reason as {{ dbt.type_string() }}) as reason,
    cast(final.exclusion_reason as {{ dbt.type_string() }}) as exclusion_reason,
    cast(final.consent_basis as {{ dbt.type_string() }}) as consent_basis,
    cast(final.consent_status as {{ dbt.type_string() }}) as consent_status,
    cast(final.consent_source as {{ dbt.type_string() }}) as consent_source,
    cast(final.consent_recorded_at as {{ type_timestamp_tz() }}) as consent_recorded_at,
    cast(final.is_consent_expired as boolean) as is_consent_expired,
    cast(final.night_consent as boolean) as night_consent,
    cast(rfm.rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
    cast(rfm.recency_days as integer) as recency_days,
    cast(rfm.frequency as integer) as frequency,
    cast(rfm.monetary as decimal(18, 2)) as monetary
from final
left join rfm on final.customer_id = rfm.customer_id

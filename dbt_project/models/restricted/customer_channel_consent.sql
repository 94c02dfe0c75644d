-- Each customer's consent per channel: the newest fact from any source wins; on a tie the
-- stricter one (bounced, then unsubscribed, then refused) does.
with

facts as (
    select * from {{ ref('consent_facts') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, channel
            order by
                recorded_at desc nulls last,
                case status
                    when 'bounced' then 1
                    when 'unsubscribed' then 2
                    when 'opted_out' then 3
                    else 4
                end asc,
                source asc
        ) as newest_first
    from facts
),

newest as (
    select * from ranked
    where newest_first = 1
),

final as (
    select
        customer_id,
        channel,
        status as consent_status,
        source as consent_source,
        recorded_at as consent_recorded_at,
        confirmed_at as consent_confirmed_at,
        -- The law asks for re-confirmation every two years (consent.max_consent_age_days).
        status = 'opted_in'
        and coalesce(
            confirmed_at < {{ dbt.dateadd(
                'day', -var('max_consent_age_days'), dbt.current_timestamp()
            ) }},
            true
        ) as is_consent_expired
    from newest
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(consent_status as {{ dbt.type_string() }}) as consent_status,
    cast(consent_source as {{ dbt.type_string() }}) as consent_source,
    cast(consent_recorded_at as {{ type_timestamp_tz() }}) as consent_recorded_at,
    cast(consent_confirmed_at as {{ type_timestamp_tz() }}) as consent_confirmed_at,
    cast(is_consent_expired as boolean) as is_consent_expired
from final

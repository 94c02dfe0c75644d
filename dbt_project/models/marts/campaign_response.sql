-- Each campaign's funnel and the purchases it earned (customer_campaign_response summed):
-- people sent, delivered, opened, clicked, unsubscribed; orders and revenue in its window.
with

responses as (
    select * from {{ ref('customer_campaign_response') }}
),

campaign_names as (
    select
        campaign_id,
        max(campaign_name) as campaign_name
    from {{ ref('stg_crm__campaign_events') }}
    group by campaign_id
),

campaigns as (
    select
        campaign_id,
        channel,
        min(messaged_at) as first_messaged_at,
        max(attribution_window_days) as attribution_window_days,
        count(*) as recipients,
        count(case when is_sent then 1 end) as sent,
        count(case when is_delivered then 1 end) as delivered,
        count(case when is_opened then 1 end) as opened,
        count(case when is_clicked then 1 end) as clicked,
        count(case when is_unsubscribed then 1 end) as unsubscribed,
        count(case when is_bounced then 1 end) as bounced,
        count(case when is_converted then 1 end) as converted_customers,
        count(case when is_clicked and not is_converted then 1 end)
            as clicked_not_converted,
        count(case when is_window_open then 1 end) as recipients_in_open_window,
        sum(attributed_orders) as attributed_orders,
        sum(attributed_net_revenue) as attributed_net_revenue,
        sum(attributed_orders_other_currencies) as attributed_orders_other_currencies
    from responses
    group by campaign_id, channel
),

final as (
    select
        campaigns.*,
        campaign_names.campaign_name,
        {{ safe_divide('campaigns.delivered', 'campaigns.sent') }} as delivery_rate,
        {{ safe_divide('campaigns.opened', 'campaigns.delivered') }} as open_rate,
        {{ safe_divide('campaigns.clicked', 'campaigns.delivered') }} as click_rate,
        {{ safe_divide('campaigns.clicked', 'campaigns.opened') }} as click_to_open_rate,
        {{ safe_divide('campaigns.unsubscribed', 'campaigns.delivered') }}
            as unsubscribe_rate,
        {{ safe_divide('campaigns.converted_customers', 'campaigns.recipients') }}
            as conversion_rate
    from campaigns
    left join campaign_names on campaigns.campaign_id = campaign_names.campaign_id
)

select
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(first_messaged_at as {{ type_timestamp_tz() }}) as first_messaged_at,
    cast(attribution_window_days as integer) as attribution_window_days,
    cast(recipients as bigint) as recipients,
    cast(sent as bigint) as sent,
    cast(delivered as bigint) as delivered,
    cast(opened as bigint) as opened,
    cast(clicked as bigint) as clicked,
    cast(unsubscribed as bigint) as unsubscribed,
    cast(bounced as bigint) as bounced,
    cast(converted_customers as bigint) as converted_customers,
    cast(clicked_not_converted as bigint) as clicked_not_converted,
    cast(recipients_in_open_window as bigint) as recipients_in_open_window,
    cast(attributed_orders as bigint) as attributed_orders,
    cast(attributed_net_revenue as decimal(18, 2)) as attributed_net_revenue,
    cast('{{ var("default_currency") }}' as {{ dbt.type_string() }}) as currency,
    cast(attributed_orders_other_currencies as bigint) as attributed_orders_other_currencies,
    cast(delivery_rate as double) as delivery_rate,
    cast(open_rate as double) as open_rate,
    cast(click_rate as double) as click_rate,
    cast(click_to_open_rate as double) as click_to_open_rate,
    cast(unsubscribe_rate as double) as unsubscribe_rate,
    cast(conversion_rate as double) as conversion_rate
from final

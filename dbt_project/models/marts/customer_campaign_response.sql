-- Each customer's response to each campaign message (the playbook's step 9): what they did
-- with it, and the purchases it earned. A purchase is the response to the last message the
-- customer was sent before it, within that channel's window (campaigns.attribution_window_days),
-- so no order counts for two campaigns.
{%- set windows = var('campaign_attribution_window_days') %}
{%- set event_types = ['sent', 'delivered', 'opened', 'clicked', 'unsubscribed', 'bounced'] %}
with

events as (
    select * from {{ ref('fct_engagement_events') }}
    where event_source = 'campaign' and customer_id is not null
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

messages as (
    select
        campaign_id,
        channel,
        customer_id,
        -- The send, where the export has it; else the first thing that shows a message came.
        coalesce(
            min(case when event_type = 'sent' then occurred_at end), min(occurred_at)
        ) as messaged_at,
        {%- for event_type in event_types %}
            count(case when event_type = '{{ event_type }}' then 1 end) > 0
                as is_{{ event_type }},
        {%- endfor %}
        case channel
            {%- for channel, days in windows.items() %}
                when '{{ channel }}' then {{ days }}
            {%- endfor %}
        end as attribution_window_days
    from events
    group by campaign_id, channel, customer_id
),

windows as (
    select
        *,
        case channel
            {%- for channel, days in windows.items() %}
                when '{{ channel }}' then {{ dbt.dateadd('day', days, 'messaged_at') }}
            {%- endfor %}
        end as attribution_ends_at
    from messages
),

touches as (
    select
        windows.campaign_id,
        windows.channel,
        windows.customer_id,
        orders.order_id,
        orders.currency,
        orders.net_amount,
        row_number() over (
            partition by orders.order_id
            order by windows.messaged_at desc, windows.campaign_id asc, windows.channel asc
        ) as latest_first
    from windows
    inner join orders
        on
            windows.customer_id = orders.customer_id
            and windows.messaged_at <= orders.ordered_at
            and windows.attribution_ends_at > orders.ordered_at
),

attributed as (
    select
        campaign_id,
        channel,
        customer_id,
        count(*) as attributed_orders,
        -- Money is added up in the brand's currency only; other currencies are counted apart.
        sum(case when currency = '{{ var("default_currency") }}' then net_amount end)
            as attributed_net_revenue,
        count(case when currency <> '{{ var("default_currency") }}' then 1 end)
            as attributed_orders_other_currencies
    from touches
    where latest_first = 1
    group by campaign_id, channel, customer_id
),

-- The day customer_ltv measures recency from (rfm.as_of).
as_of as (
    select {{ loyalty_as_of_date('ordered_date') }} as as_of_date
    from {{ ref('fct_orders') }}
),

final as (
    select
        windows.*,
        coalesce(attributed.attributed_orders, 0) as attributed_orders,
        coalesce(attributed.attributed_net_revenue, 0) as attributed_net_revenue,
        coalesce(attributed.attributed_orders_other_currencies, 0)
            as attributed_orders_other_currencies,
        coalesce(attributed.attributed_orders, 0) > 0 as is_converted,
        -- Until the window closes, not buying yet is no answer.
        {{ local_date('windows.attribution_ends_at') }} > as_of.as_of_date as is_window_open
    from windows
    cross join as_of
    left join attributed
        on
            windows.campaign_id = attributed.campaign_id
            and windows.channel = attributed.channel
            and windows.customer_id = attributed.customer_id
)

select
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(messaged_at as {{ type_timestamp_tz() }}) as messaged_at,
    cast(attribution_window_days as integer) as attribution_window_days,
    cast(attribution_ends_at as {{ type_timestamp_tz() }}) as attribution_ends_at,
    cast(is_sent as boolean) as is_sent,
    cast(is_delivered as boolean) as is_delivered,
    cast(is_opened as boolean) as is_opened,
    cast(is_clicked as boolean) as is_clicked,
    cast(is_unsubscribed as boolean) as is_unsubscribed,
    cast(is_bounced as boolean) as is_bounced,
    cast(attributed_orders as integer) as attributed_orders,
    cast(attributed_net_revenue as decimal(18, 2)) as attributed_net_revenue,
    cast(attributed_orders_other_currencies as integer) as attributed_orders_other_currencies,
    cast(is_converted as boolean) as is_converted,
    cast(is_window_open as boolean) as is_window_open
from final

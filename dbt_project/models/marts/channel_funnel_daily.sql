-- The funnel per channel, campaign and day: impressions → clicks → sessions → add-to-carts →
-- orders, with each step's rate and the money ratios; a ratio with nothing (0 or unknown) to
-- divide by is null, never 0 or infinity.
with

channel_daily as (
    select * from {{ ref('fct_channel_daily') }}
),

final as (
    select
        *,
        {{ safe_divide('clicks', 'impressions') }} as click_through_rate,
        {{ safe_divide('sessions', 'clicks') }} as click_to_session_rate,
        {{ safe_divide('add_to_carts', 'sessions') }} as session_to_cart_rate,
        {{ safe_divide('orders_count', 'add_to_carts') }} as cart_to_order_rate,
        {{ safe_divide('orders_count', 'clicks') }} as click_to_order_rate,
        {{ safe_divide('cost_amount', 'clicks') }} as cost_per_click,
        {{ safe_divide('cost_amount', 'new_customers') }} as customer_acquisition_cost,
        {{ safe_divide('net_revenue', 'cost_amount') }} as return_on_ad_spend,
        {{ safe_divide('returning_customer_orders', 'orders_count') }} as returning_order_share
    from channel_daily
)

select
    cast(activity_date as date) as activity_date,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(campaign as {{ dbt.type_string() }}) as campaign,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(sessions as bigint) as sessions,
    cast(add_to_carts as bigint) as add_to_carts,
    cast(orders_count as bigint) as orders_count,
    cast(new_customers as bigint) as new_customers,
    cast(cost_amount as decimal(18, 2)) as cost_amount,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast(click_through_rate as double) as click_through_rate,
    cast(click_to_session_rate as double) as click_to_session_rate,
    cast(session_to_cart_rate as double) as session_to_cart_rate,
    cast(cart_to_order_rate as double) as cart_to_order_rate,
    cast(click_to_order_rate as double) as click_to_order_rate,
    cast(cost_per_click as decimal(18, 2)) as cost_per_click,
    cast(customer_acquisition_cost as decimal(18, 2)) as customer_acquisition_cost,
    cast(return_on_ad_spend as double) as return_on_ad_spend,
    cast(returning_order_share as double) as returning_order_share
from final

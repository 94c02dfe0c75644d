-- Each ad channel's funnel and money ratios over the days its ad stats cover, per currency:
-- orders outside that period have no spend beside them, so they would inflate ROAS and
-- deflate CAC; they are counted apart (orders_outside_stats_period).
with

channel_daily as (
    select * from {{ ref('fct_channel_daily') }}
),

stats_periods as (
    select
        channel,
        min(activity_date) as stats_first_date,
        max(activity_date) as stats_last_date,
        count(distinct activity_date) as stats_days
    from channel_daily
    where impressions is not null or cost_amount is not null
    group by channel
),

in_period as (
    select
        channel_daily.*,
        stats_periods.stats_first_date,
        stats_periods.stats_last_date,
        stats_periods.stats_days,
        channel_daily.activity_date
        between stats_periods.stats_first_date and stats_periods.stats_last_date
            as is_in_stats_period
    from channel_daily
    inner join stats_periods on channel_daily.channel = stats_periods.channel
),

totals as (
    select
        channel,
        currency,
        min(stats_first_date) as stats_first_date,
        min(stats_last_date) as stats_last_date,
        min(stats_days) as stats_days,
        sum(case when is_in_stats_period then impressions end) as impressions,
        sum(case when is_in_stats_period then clicks end) as clicks,
        sum(case when is_in_stats_period then sessions end) as sessions,
        sum(case when is_in_stats_period then add_to_carts end) as add_to_carts,
        sum(case when is_in_stats_period then cost_amount end) as cost_amount,
        sum(case when is_in_stats_period then orders_count else 0 end) as orders_count,
        sum(case when is_in_stats_period then new_customers else 0 end) as new_customers,
        sum(case when is_in_stats_period then net_revenue else 0 end) as net_revenue,
        sum(case when not is_in_stats_period then orders_count else 0 end)
            as orders_outside_stats_period
    from in_period
    group by channel, currency
),

final as (
    select
        *,
        {{ safe_divide('clicks', 'impressions') }} as click_through_rate,
        {{ safe_divide('orders_count', 'clicks') }} as click_to_order_rate,
        {{ safe_divide('cost_amount', 'clicks') }} as cost_per_click,
        {{ safe_divide('cost_amount', 'new_customers') }} as customer_acquisition_cost,
        {{ safe_divide('net_revenue', 'cost_amount') }} as return_on_ad_spend
    from totals
)

select
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(stats_first_date as date) as stats_first_date,
    cast(stats_last_date as date) as stats_last_date,
    cast(stats_days as integer) as stats_days,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(sessions as bigint) as sessions,
    cast(add_to_carts as bigint) as add_to_carts,
    cast(cost_amount as decimal(18, 2)) as cost_amount,
    cast(orders_count as bigint) as orders_count,
    cast(new_customers as bigint) as new_customers,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast(orders_outside_stats_period as bigint) as orders_outside_stats_period,
    cast(click_through_rate as double) as click_through_rate,
    cast(click_to_order_rate as double) as click_to_order_rate,
    cast(cost_per_click as decimal(18, 2)) as cost_per_click,
    cast(customer_acquisition_cost as decimal(18, 2)) as customer_acquisition_cost,
    cast(return_on_ad_spend as double) as return_on_ad_spend
from final

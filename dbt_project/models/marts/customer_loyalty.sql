{#- Which engagement column each loyal_signals name in dangol.yaml counts. -#}
{%- set signal_columns = {
    'membership': 'membership_joins',
    'sns_interactions': 'sns_interactions',
    'referrals': 'referrals_made',
    'reviews': 'reviews_written',
    'coupon_uses': 'coupons_redeemed',
    'campaign_clicks': 'campaign_clicks',
} -%}
{%- for signal in var('loyal_signals') if signal not in signal_columns %}
    {{ exceptions.raise_compiler_error(
        "loyal_signals: unknown signal '" ~ signal ~ "'; known: " ~ signal_columns.keys() | join(', ')
    ) }}
{%- endfor -%}

-- Repeat buyer versus loyal customer: loyalty is buying again AND engaging.
with

customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

events as (
    select * from {{ ref('fct_engagement_events') }}
    where customer_id is not null
),

purchase_gaps as (
    select
        customer_id,
        net_amount,
        {{ dbt.datediff(
            'lag(ordered_date) over (partition by customer_id order by ordered_date, order_id)',
            'ordered_date',
            'day'
        ) }} as days_since_previous_purchase
    from orders
),

purchases as (
    select
        customer_id,
        sum(net_amount) as net_lifetime_value,
        count(
            case
                when days_since_previous_purchase <= {{ var('repeat_window_days') }} then 1
            end
        ) as repeat_purchases
    from purchase_gaps
    group by customer_id
),

engagement as (
    select
        customer_id,
        count(case when event_source = 'membership' and event_type = 'join' then 1 end)
            as membership_joins,
        min(case when event_source = 'membership' and event_type = 'join' then occurred_at end)
            as joined_membership_at,
        count(case when event_source = 'sns' and event_type <> 'review' then 1 end)
            as sns_interactions,
        count(case when event_source = 'sns' and event_type = 'review' then 1 end)
            as reviews_written,
        count(case when event_type = 'referral_made' then 1 end) as referrals_made,
        count(case when event_source = 'coupon' and event_type = 'redeemed' then 1 end)
            as coupons_redeemed,
        count(case when event_source = 'campaign' and event_type = 'clicked' then 1 end)
            as campaign_clicks
    from events
    group by customer_id
),

-- A customer is a member while any of their memberships' latest join or leave is a join.
membership_states as (
    select
        customer_id,
        event_type
    from events
    where event_source = 'membership' and event_type in ('join', 'leave')
    qualify row_number() over (
        partition by customer_id, channel order by occurred_at desc, event_type asc
    ) = 1
),

memberships as (
    select
        customer_id,
        count(case when event_type = 'join' then 1 end) > 0 as is_member
    from membership_states
    group by customer_id
),

measured as (
    select
        customers.customer_id,
        customers.orders_count,
        engagement.joined_membership_at,
        coalesce(purchases.net_lifetime_value, 0) as net_lifetime_value,
        coalesce(purchases.repeat_purchases, 0) > 0 as is_repeat_buyer,
        {%- for column in signal_columns.values() | unique %}
            coalesce(engagement.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        case
            when memberships.is_member then 'member'
            when memberships.customer_id is not null then 'former_member'
            else 'never_member'
        end as membership_status
    from customers
    left join purchases on customers.customer_id = purchases.customer_id
    left join engagement on customers.customer_id = engagement.customer_id
    left join memberships on customers.customer_id = memberships.customer_id
),

signals as (
    select
        *,
        0
        {%- for signal, threshold in var('loyal_signals').items() %}
            + case when {{ signal_columns[signal] }} >= {{ threshold }} then 1 else 0 end
        {%- endfor %}
            as loyal_signals_met
    from measured
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(orders_count as integer) as orders_count,
    cast(net_lifetime_value as decimal(18, 2)) as net_lifetime_value,
    cast(is_repeat_buyer as boolean) as is_repeat_buyer,
    cast(membership_joins as integer) as membership_joins,
    cast(sns_interactions as integer) as sns_interactions,
    cast(reviews_written as integer) as reviews_written,
    cast(referrals_made as integer) as referrals_made,
    cast(coupons_redeemed as integer) as coupons_redeemed,
    cast(campaign_clicks as integer) as campaign_clicks,
    cast(loyal_signals_met as integer) as loyal_signals_met,
    cast(is_repeat_buyer and loyal_signals_met >= {{ var('min_loyal_signals') }} as boolean)
        as is_loyal,
    cast({{ loyalty_tier('net_lifetime_value') }} as {{ dbt.type_string() }}) as loyalty_tier,
    cast({{ loyalty_tier('net_lifetime_value', 'label') }} as {{ dbt.type_string() }})
        as loyalty_tier_ko,
    cast(membership_status as {{ dbt.type_string() }}) as membership_status,
    cast(membership_status = 'member' as boolean) as is_member,
    cast(joined_membership_at as {{ type_timestamp_tz() }}) as joined_membership_at
from signals

{#- Which engagement column each loyal_signals name in dangol.yaml counts. -#}
{%- set signal_columns = {
    'membership': 'membership_joins',
    'sns_interactions': 'sns_interactions',
    'referrals': 'referrals_made',
    'reviews': 'positive_reviews',
    'campaign_clicks': 'campaign_clicks',
} -%}
{%- for signal in var('loyal_signals') if signal not in signal_columns %}
    {{ exceptions.raise_compiler_error(
        "loyal_signals: unknown signal '" ~ signal ~ "'; known: " ~ signal_columns.keys() | join(', ')
    ) }}
{%- endfor -%}

-- Repeat buyer versus loyal customer (단골 고객): loyalty is buying again, without needing a
-- discount, AND engaging. VIP and tiers rank recent revenue, so they demote.
with

customers as (
    select * from {{ ref('dim_customers') }}
),

lifetime as (
    select * from {{ ref('customer_ltv') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

events as (
    select * from {{ ref('fct_engagement_events') }}
    where customer_id is not null
),

-- Coupon use and discounts are price sensitivity, measured apart from loyalty.
discounts as (
    select
        customer_id,
        {{ divide('count(case when discount_amount > 0 then 1 end)', 'count(*)') }}
            as discounted_orders_share,
        {{ safe_divide('sum(discount_amount)', 'sum(gross_amount)') }} as discount_share_of_gross
    from orders
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
        -- Positive where the export rates reviews; an unrated review cannot say otherwise.
        count(
            case
                when
                    event_source = 'sns'
                    and event_type = 'review'
                    and coalesce(rating >= {{ var('positive_review_min_rating') }}, true)
                    then 1
            end
        ) as positive_reviews,
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
        coalesce(lifetime.net_lifetime_value, 0) as net_lifetime_value,
        coalesce(lifetime.purchase_days, 0) as purchase_days,
        coalesce(lifetime.purchase_days, 0) >= 2 as is_repeat_buyer,
        -- A lapsed customer earns no rank: their trailing revenue counts as nothing.
        case
            when not lifetime.is_lapsed then lifetime.trailing_net_revenue else 0
        end as ranked_net_revenue,
        discounts.discounted_orders_share,
        discounts.discount_share_of_gross,
        coalesce(
            discounts.discounted_orders_share > {{ var('discount_driven_order_share') }}
            or discounts.discount_share_of_gross >= {{ var('discount_driven_gross_share') }},
            false
        ) as is_discount_driven,
        {%- for column in signal_columns.values() | unique %}
            coalesce(engagement.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        coalesce(engagement.reviews_written, 0) as reviews_written,
        coalesce(engagement.coupons_redeemed, 0) as coupons_redeemed,
        case
            when memberships.is_member then 'member'
            when memberships.customer_id is not null then 'former_member'
            else 'never_member'
        end as membership_status
    from customers
    left join lifetime on customers.customer_id = lifetime.customer_id
    left join discounts on customers.customer_id = discounts.customer_id
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
            as loyal_signals_met,
        referrals_made >= {{ var('flywheel_advocacy_min_referrals') }}
        or positive_reviews >= {{ var('flywheel_advocacy_min_reviews') }} as is_advocate
    from measured
),

-- VIP: the top loyalty.vip_top_share of customers who are not lapsed, by trailing revenue.
vip_ranks as (
    select
        customer_id,
        row_number() over (order by ranked_net_revenue desc, customer_id asc) as vip_rank,
        count(*) over () as ranked_customers
    from signals
    where ranked_net_revenue > 0
),

final as (
    select
        signals.*,
        vip_ranks.vip_rank,
        coalesce(
            -- A decimal share times a count: exact, so 10% of 30 is 3, not 3.0000000000000004.
            vip_ranks.vip_rank <= ceiling({{ var('vip_top_share') }} * vip_ranks.ranked_customers),
            false
        ) as is_vip
    from signals
    left join vip_ranks on signals.customer_id = vip_ranks.customer_id
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(orders_count as integer) as orders_count,
    cast(purchase_days as integer) as purchase_days,
    cast(net_lifetime_value as decimal(18, 2)) as net_lifetime_value,
    cast(is_repeat_buyer as boolean) as is_repeat_buyer,
    cast(membership_joins as integer) as membership_joins,
    cast(sns_interactions as integer) as sns_interactions,
    cast(reviews_written as integer) as reviews_written,
    cast(positive_reviews as integer) as positive_reviews,
    cast(referrals_made as integer) as referrals_made,
    cast(coupons_redeemed as integer) as coupons_redeemed,
    cast(campaign_clicks as integer) as campaign_clicks,
    cast(discounted_orders_share as double) as discounted_orders_share,
    cast(discount_share_of_gross as double) as discount_share_of_gross,
    cast(is_discount_driven as boolean) as is_discount_driven,
    cast(loyal_signals_met as integer) as loyal_signals_met,
    cast(
        is_repeat_buyer
        and not is_discount_driven
        and loyal_signals_met >= {{ var('min_loyal_signals') }} as boolean
    ) as is_loyal,
    cast(is_advocate as boolean) as is_advocate,
    cast(vip_rank as integer) as vip_rank,
    cast(is_vip as boolean) as is_vip,
    cast({{ loyalty_tier('ranked_net_revenue') }} as {{ dbt.type_string() }}) as loyalty_tier,
    cast({{ loyalty_tier('ranked_net_revenue', 'label') }} as {{ dbt.type_string() }})
        as loyalty_tier_ko,
    cast(membership_status as {{ dbt.type_string() }}) as membership_status,
    cast(membership_status = 'member' as boolean) as is_member,
    cast(joined_membership_at as {{ type_timestamp_tz() }}) as joined_membership_at
from final

-- From the first ("experience") purchase to the membership (단골 풀), by what the customer first
-- bought: who joined, how fast, and what members bought afterwards against those who did not.
with

first_purchases as (
    select * from {{ ref('customer_first_purchases') }}
),

loyalty as (
    select * from {{ ref('customer_loyalty') }}
),

purchases as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

buyers as (
    select
        first_purchases.customer_id,
        first_purchases.first_product_category,
        first_purchases.first_product_category_ko,
        first_purchases.first_order_at,
        loyalty.joined_membership_at,
        -- Joined before ever buying: a member already, not a conversion from the experience.
        coalesce(loyalty.joined_membership_at < first_purchases.first_order_at, false)
            as joined_before_first_purchase,
        coalesce(loyalty.joined_membership_at >= first_purchases.first_order_at, false)
            as joined_after_first_purchase
    from first_purchases
    inner join loyalty on first_purchases.customer_id = loyalty.customer_id
),

-- Members are followed from the day they joined, the others from their first purchase: each
-- group's purchases after its own "decision" moment, the experience order itself excluded.
later_purchases as (
    select
        buyers.customer_id,
        count(purchases.order_id) as purchases_after,
        coalesce(sum(purchases.net_amount), 0) as net_revenue_after
    from buyers
    left join purchases
        on
            buyers.customer_id = purchases.customer_id
            and purchases.ordered_at > case
                when buyers.joined_after_first_purchase then buyers.joined_membership_at
                else buyers.first_order_at
            end
    group by buyers.customer_id
),

journeys as (
    select
        buyers.customer_id,
        buyers.first_product_category,
        buyers.first_product_category_ko,
        buyers.first_order_at,
        buyers.joined_membership_at,
        buyers.joined_before_first_purchase,
        buyers.joined_after_first_purchase,
        later_purchases.purchases_after,
        later_purchases.net_revenue_after,
        case
            when buyers.joined_after_first_purchase
                then {{ dbt.datediff('buyers.first_order_at', 'buyers.joined_membership_at', 'day') }}  -- noqa: LT05
        end as days_to_join
    from buyers
    inner join later_purchases on buyers.customer_id = later_purchases.customer_id
),

-- The grand total is its own row (`all`): rates and medians cannot be summed from the others.
journeys_with_total as (
    select * from journeys
    union all
    select
        customer_id,
        'all' as first_product_category,
        '전체' as first_product_category_ko,
        first_order_at,
        joined_membership_at,
        joined_before_first_purchase,
        joined_after_first_purchase,
        purchases_after,
        net_revenue_after,
        days_to_join
    from journeys
),

by_category as (
    select
        first_product_category,
        first_product_category_ko,
        count(*) as first_time_buyers,
        count(case when joined_before_first_purchase then 1 end) as members_before_first_purchase,
        count(case when joined_after_first_purchase then 1 end) as joined_after_first_purchase,
        count(case when not joined_before_first_purchase then 1 end) as eligible_buyers,
        avg(days_to_join) as average_days_to_join,
        percentile_disc(0.5) within group (order by days_to_join) as median_days_to_join,
        avg(case when joined_after_first_purchase then purchases_after end)
            as member_purchases_after_joining,
        avg(case when joined_after_first_purchase then net_revenue_after end)
            as member_net_revenue_after_joining,
        avg(
            case
                when not joined_before_first_purchase and not joined_after_first_purchase
                    then purchases_after
            end
        ) as non_member_repeat_purchases,
        avg(
            case
                when not joined_before_first_purchase and not joined_after_first_purchase
                    then net_revenue_after
            end
        ) as non_member_repeat_net_revenue
    from journeys_with_total
    group by first_product_category, first_product_category_ko
)

select
    cast(first_product_category as {{ dbt.type_string() }}) as first_product_category,
    cast(first_product_category_ko as {{ dbt.type_string() }}) as first_product_category_ko,
    cast(first_time_buyers as integer) as first_time_buyers,
    cast(members_before_first_purchase as integer) as members_before_first_purchase,
    cast(joined_after_first_purchase as integer) as joined_after_first_purchase,
    cast(
        case
            when eligible_buyers > 0
                then {{ divide('joined_after_first_purchase', 'eligible_buyers') }}
        end as double
    ) as join_rate,
    cast(average_days_to_join as double) as average_days_to_join,
    cast(median_days_to_join as integer) as median_days_to_join,
    cast(member_purchases_after_joining as double) as member_purchases_after_joining,
    cast(member_net_revenue_after_joining as decimal(18, 2)) as member_net_revenue_after_joining,
    cast(non_member_repeat_purchases as double) as non_member_repeat_purchases,
    cast(non_member_repeat_net_revenue as decimal(18, 2)) as non_member_repeat_net_revenue
from by_category

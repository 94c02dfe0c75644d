-- Lifetime value and buying rhythm of every buyer, and where they stand now: the lifecycle
-- status from their own rhythm and the brand's cycle (docs/glossary.md, loyalty: in dangol.yaml).
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

purchase_days as (
    select
        *,
        count(*) over (partition by customer_id) as customer_purchase_days
    from {{ ref('fct_purchase_days') }}
),

-- Gross LTV is what the customer ordered and paid for: a fully refunded order counts
-- there (and only there; net LTV, counts and dates keep to purchases).
refunded as (
    select
        customer_id,
        sum(gross_amount) as gross_amount
    from {{ ref('fct_orders') }}
    where status = 'refunded'
    group by customer_id
),

as_of as (
    select {{ loyalty_as_of_date('purchase_date') }} as as_of_date
    from purchase_days
),

purchases as (
    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        count(*) as orders_count,
        sum(gross_amount) as purchased_gross_amount,
        sum(net_amount) as net_lifetime_value
    from orders
    group by customer_id
),

-- The latest purchase day and the gap before it (null after a single purchase day).
latest_purchase_days as (
    select
        customer_id,
        customer_purchase_days as purchase_days,
        days_since_previous_purchase as days_before_last_purchase
    from purchase_days
    where purchase_day_number = customer_purchase_days
),

trailing_revenue as (
    select
        purchase_days.customer_id,
        sum(
            case
                when
                    {{ dbt.datediff('purchase_days.purchase_date', 'as_of.as_of_date', 'day') }}
                    < {{ var('vip_trailing_days') }}
                    then purchase_days.net_amount
                else 0
            end
        ) as trailing_net_revenue
    from purchase_days
    cross join as_of
    group by purchase_days.customer_id
),

measured as (
    select
        purchases.*,
        latest_purchase_days.purchase_days,
        latest_purchase_days.days_before_last_purchase,
        trailing_revenue.trailing_net_revenue,
        purchases.purchased_gross_amount + coalesce(refunded.gross_amount, 0)
            as gross_lifetime_value,
        as_of.as_of_date,
        {{ dbt.datediff('purchases.first_order_date', 'purchases.last_order_date', 'day') }}
            as days_first_to_last_order,
        {{ dbt.datediff('purchases.last_order_date', 'as_of.as_of_date', 'day') }}
            as days_since_last_order,
        {{ dbt.datediff('purchases.first_order_date', 'as_of.as_of_date', 'day') }}
            as days_since_first_order
    from purchases
    inner join latest_purchase_days
        on purchases.customer_id = latest_purchase_days.customer_id
    inner join trailing_revenue on purchases.customer_id = trailing_revenue.customer_id
    cross join as_of
    left join refunded on purchases.customer_id = refunded.customer_id
),

rhythm as (
    select
        *,
        {{ divide('net_lifetime_value', 'orders_count') }} as average_order_value,
        -- One order has no gap to measure.
        case
            when orders_count > 1
                then {{ divide('days_first_to_last_order', '(orders_count - 1)') }}
        end as average_days_between_orders,
        case
            when purchase_days > 1
                then {{ divide('days_first_to_last_order', '(purchase_days - 1)') }}
        end as average_days_between_purchase_days,
        {{ var('expected_purchase_cycle_days') }} as expected_purchase_cycle_days
    from measured
),

-- The customer's cycle: the brand's, or their own rhythm when it is longer and measured on
-- enough purchase days, so a regular who always takes longer is not called lapsed too soon.
cycles as (
    select
        *,
        case
            when
                purchase_days >= {{ var('own_rhythm_min_purchase_days') }}
                and average_days_between_purchase_days > expected_purchase_cycle_days
                then average_days_between_purchase_days
            else expected_purchase_cycle_days
        end as purchase_cycle_days
    from rhythm
),

final as (
    select
        *,
        case
            when days_since_last_order > {{ var('lapse_multiplier') }} * purchase_cycle_days
                then 'lapsed'
            when days_since_last_order > {{ var('at_risk_multiplier') }} * purchase_cycle_days
                then 'at_risk'
            when purchase_days = 1 then 'new'
            when
                days_before_last_purchase > {{ var('lapse_multiplier') }} * purchase_cycle_days
                then 'reactivated'
            else 'active'
        end as lifecycle_status
    from cycles
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(first_order_date as date) as first_order_date,
    cast(last_order_date as date) as last_order_date,
    cast(orders_count as integer) as orders_count,
    cast(purchase_days as integer) as purchase_days,
    cast(gross_lifetime_value as decimal(18, 2)) as gross_lifetime_value,
    cast(net_lifetime_value as decimal(18, 2)) as net_lifetime_value,
    cast(trailing_net_revenue as decimal(18, 2)) as trailing_net_revenue,
    cast(average_order_value as decimal(18, 2)) as average_order_value,
    cast(average_days_between_orders as decimal(10, 2)) as average_days_between_orders,
    cast(average_days_between_purchase_days as decimal(10, 2))
        as average_days_between_purchase_days,
    cast(days_since_last_order as integer) as days_since_last_order,
    cast(days_since_first_order as integer) as days_since_first_order,
    cast(expected_purchase_cycle_days as integer) as expected_purchase_cycle_days,
    cast(purchase_cycle_days as decimal(10, 2)) as purchase_cycle_days,
    cast(lifecycle_status as {{ dbt.type_string() }}) as lifecycle_status,
    cast(lifecycle_status = 'lapsed' as boolean) as is_lapsed,
    cast(as_of_date as date) as as_of_date
from final

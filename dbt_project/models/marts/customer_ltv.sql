with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
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
    select {{ loyalty_as_of_date('ordered_date') }} as as_of_date
    from orders
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

measured as (
    select
        purchases.*,
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
    cross join as_of
    left join refunded on purchases.customer_id = refunded.customer_id
),

final as (
    select
        *,
        {{ divide('net_lifetime_value', 'orders_count') }} as average_order_value,
        -- One order has no gap to measure.
        case
            when orders_count > 1
                then {{ divide('days_first_to_last_order', '(orders_count - 1)') }}
        end as average_days_between_orders,
        {{ var('expected_purchase_cycle_days') }} as expected_purchase_cycle_days,
        days_since_last_order
        > {{ var('lapse_multiplier') }} * {{ var('expected_purchase_cycle_days') }} as is_lapsed
    from measured
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(first_order_date as date) as first_order_date,
    cast(last_order_date as date) as last_order_date,
    cast(orders_count as integer) as orders_count,
    cast(gross_lifetime_value as decimal(18, 2)) as gross_lifetime_value,
    cast(net_lifetime_value as decimal(18, 2)) as net_lifetime_value,
    cast(average_order_value as decimal(18, 2)) as average_order_value,
    cast(average_days_between_orders as decimal(10, 2)) as average_days_between_orders,
    cast(days_since_last_order as integer) as days_since_last_order,
    cast(days_since_first_order as integer) as days_since_first_order,
    cast(expected_purchase_cycle_days as integer) as expected_purchase_cycle_days,
    cast(is_lapsed as boolean) as is_lapsed,
    cast(as_of_date as date) as as_of_date
from final

-- A purchase day (구매일) is a local calendar day on which a customer bought: several orders on
-- one day are one purchase occasion, as in the customer-base literature (BG/NBD). Repeat,
-- frequency and the predicted-value model count purchase days, never orders.
with

purchases as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

purchase_days as (
    select
        customer_id,
        ordered_date as purchase_date,
        count(*) as orders_count,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount
    from purchases
    group by customer_id, ordered_date
),

sequenced as (
    select
        customer_id,
        purchase_date,
        orders_count,
        gross_amount,
        discount_amount,
        net_amount,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as purchase_day_number,
        min(purchase_date) over (partition by customer_id) as first_purchase_date,
        lag(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date
    from purchase_days
),

final as (
    select
        *,
        {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            as days_since_previous_purchase,
        {{ dbt.datediff('first_purchase_date', 'purchase_date', 'day') }}
            as days_since_first_purchase
    from sequenced
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(purchase_date as date) as purchase_date,
    cast(purchase_day_number as integer) as purchase_day_number,
    cast(first_purchase_date as date) as first_purchase_date,
    cast(previous_purchase_date as date) as previous_purchase_date,
    cast(days_since_previous_purchase as integer) as days_since_previous_purchase,
    cast(days_since_first_purchase as integer) as days_since_first_purchase,
    cast(orders_count as integer) as orders_count,
    cast(gross_amount as decimal(18, 2)) as gross_amount,
    cast(discount_amount as decimal(18, 2)) as discount_amount,
    cast(net_amount as decimal(18, 2)) as net_amount
from final

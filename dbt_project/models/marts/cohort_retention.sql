-- Monthly acquisition cohorts: who came back, and what they spent, N months after joining.
with

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

-- ordered_date is already the brand's local day, so months are local months.
purchases as (
    select
        customer_id,
        net_amount,
        {{ dbt.date_trunc('month', 'ordered_date') }} as order_month
    from orders
),

cohorts as (
    select
        customer_id,
        min(order_month) as cohort_month
    from purchases
    group by customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from cohorts
    group by cohort_month
),

-- Every month with a purchase in the shop, so a cohort's quiet month shows as zero.
calendar as (
    select distinct order_month from purchases
),

cohort_months as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        calendar.order_month
    from cohort_sizes
    inner join calendar on cohort_sizes.cohort_month <= calendar.order_month
),

activity as (
    select
        cohorts.cohort_month,
        purchases.order_month,
        count(distinct purchases.customer_id) as active_customers,
        count(*) as orders_count,
        sum(purchases.net_amount) as net_revenue
    from purchases
    inner join cohorts on purchases.customer_id = cohorts.customer_id
    group by cohorts.cohort_month, purchases.order_month
),

final as (
    select
        cohort_months.cohort_month,
        cohort_months.cohort_size,
        {{ dbt.datediff('cohort_months.cohort_month', 'cohort_months.order_month', 'month') }}
            as months_since_first_purchase,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(activity.orders_count, 0) as orders_count,
        coalesce(activity.net_revenue, 0) as net_revenue
    from cohort_months
    left join activity
        on
            cohort_months.cohort_month = activity.cohort_month
            and cohort_months.order_month = activity.order_month
)

select
    cast(cohort_month as date) as cohort_month,
    cast(months_since_first_purchase as integer) as months_since_first_purchase,
    cast(cohort_size as integer) as cohort_size,
    cast(active_customers as integer) as active_customers,
    cast(orders_count as integer) as orders_count,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast({{ divide('active_customers', 'cohort_size') }} as double) as retention_rate
from final

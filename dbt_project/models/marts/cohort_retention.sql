-- Monthly acquisition cohorts: who came back, and what they spent, N months after joining.
with

-- Each purchase day in its customer's cohort (the month of their first purchase day); dates
-- are already the brand's local days, so months are local months.
purchase_days as (
    select
        {{ dbt.date_trunc('month', 'first_purchase_date') }} as cohort_month,
        {{ dbt.date_trunc('month', 'purchase_date') }} as order_month,
        purchase_day_number,
        previous_purchase_date,
        orders_count,
        net_amount
    from {{ ref('fct_purchase_days') }}
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from purchase_days
    where purchase_day_number = 1
    group by cohort_month
),

-- Every month with a purchase in the shop, so a cohort's quiet month shows as zero.
calendar as (
    select distinct order_month from purchase_days
),

cohort_months as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        calendar.order_month
    from cohort_sizes
    inner join calendar on cohort_sizes.cohort_month <= calendar.order_month
),

-- A customer counts once in a month: on their first purchase day in it, the one whose previous
-- purchase day is in an earlier month.
activity as (
    select
        cohort_month,
        order_month,
        count(case when {{ is_first_purchase_day_in_month('order_month') }} then 1 end)
            as active_customers,
        sum(orders_count) as orders_count,
        sum(net_amount) as net_revenue
    from purchase_days
    group by cohort_month, order_month
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

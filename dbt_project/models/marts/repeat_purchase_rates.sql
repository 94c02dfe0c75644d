-- The shop's repeat purchase rate (재구매율) by first-purchase month: of the customers whose
-- first purchase day fell in that month, the share with a second purchase day within each
-- window. Only customers observed for the whole window count; a cohort month none of whose
-- customers has been observed that long has no row for the window.
with

purchase_days as (
    select * from {{ ref('fct_purchase_days') }}
),

as_of as (
    select {{ loyalty_as_of_date('purchase_date') }} as as_of_date
    from purchase_days
),

windows as (
    {{ day_windows(var('repeat_rate_windows_days'), 'window_days') }}
),

new_customers as (
    select
        customer_id,
        first_purchase_date,
        min(case when purchase_day_number = 2 then days_since_first_purchase end)
            as days_to_second_purchase
    from purchase_days
    group by customer_id, first_purchase_date
),

observed as (
    select
        new_customers.customer_id,
        windows.window_days,
        {{ dbt.date_trunc('month', 'new_customers.first_purchase_date') }} as cohort_month,
        coalesce(new_customers.days_to_second_purchase <= windows.window_days, false)
            as bought_again
    from new_customers
    cross join windows
    cross join as_of
    where
        {{ dbt.dateadd('day', 'windows.window_days', 'new_customers.first_purchase_date') }}
        <= as_of.as_of_date
),

rates as (
    select
        cohort_month,
        window_days,
        count(*) as customers,
        count(case when bought_again then 1 end) as repeat_customers
    from observed
    group by cohort_month, window_days
)

select
    cast(cohort_month as date) as cohort_month,
    cast(window_days as integer) as window_days,
    cast(customers as integer) as customers,
    cast(repeat_customers as integer) as repeat_customers,
    cast({{ divide('repeat_customers', 'customers') }} as double) as repeat_rate
from rates

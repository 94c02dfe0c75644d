-- The predicted-value model's input, one row per buyer: purchase days (x + 1), recency and
-- tenure in days as of the as-of day, and the mean net revenue of the repeat purchase days;
-- the same as of the backtest cut-off, with what the customer bought after it.
with

purchase_days as (
    select * from {{ ref('fct_purchase_days') }}
),

as_of as (
    select
        as_of_date,
        {{ dbt.dateadd('day', -1 * var('clv_backtest_holdout_days'), 'as_of_date') }}
            as cutoff_date
    from (
        select cast({{ loyalty_as_of_date('purchase_date') }} as date) as as_of_date
        from purchase_days
    ) as chosen
),

dated as (
    select
        purchase_days.customer_id,
        purchase_days.purchase_date,
        purchase_days.purchase_day_number,
        purchase_days.first_purchase_date,
        purchase_days.net_amount,
        as_of.as_of_date,
        as_of.cutoff_date,
        purchase_days.purchase_date <= as_of.cutoff_date as is_before_cutoff
    from purchase_days
    cross join as_of
    -- A fixed as-of day reproduces a past state: later purchases did not happen yet.
    where purchase_days.purchase_date <= as_of.as_of_date
),

summarised as (
    select
        customer_id,
        min(as_of_date) as as_of_date,
        min(cutoff_date) as cutoff_date,
        min(first_purchase_date) as first_purchase_date,
        count(*) as purchase_days,
        max(purchase_date) as last_purchase_date,
        avg(case when purchase_day_number > 1 then net_amount end)
            as average_repeat_order_value,
        sum(case when is_before_cutoff then 1 else 0 end) as cutoff_purchase_days,
        max(case when is_before_cutoff then purchase_date end) as cutoff_last_purchase_date,
        avg(case when is_before_cutoff and purchase_day_number > 1 then net_amount end)
            as cutoff_average_repeat_order_value,
        sum(case when not is_before_cutoff then 1 else 0 end) as holdout_purchase_days,
        sum(case when not is_before_cutoff then net_amount else 0 end) as holdout_net_revenue
    from dated
    group by customer_id
),

final as (
    select
        customer_id,
        as_of_date,
        purchase_days,
        purchase_days - 1 as repeat_purchase_days,
        {{ dbt.datediff('last_purchase_date', 'as_of_date', 'day') }} as recency_days,  -- noqa: LT05
        {{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }} as tenure_days,  -- noqa: LT05
        average_repeat_order_value,
        cutoff_date,
        -- Backtest columns: only for customers who had bought by the cut-off.
        case when cutoff_purchase_days > 0 then cutoff_purchase_days - 1 end
            as cutoff_repeat_purchase_days,
        case
            when cutoff_purchase_days > 0
                then {{ dbt.datediff('cutoff_last_purchase_date', 'cutoff_date', 'day') }}
        end as cutoff_recency_days,
        case
            when cutoff_purchase_days > 0
                then {{ dbt.datediff('first_purchase_date', 'cutoff_date', 'day') }}
        end as cutoff_tenure_days,
        cutoff_average_repeat_order_value,
        case when cutoff_purchase_days > 0 then holdout_purchase_days end
            as holdout_purchase_days,
        case when cutoff_purchase_days > 0 then holdout_net_revenue end as holdout_net_revenue
    from summarised
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(as_of_date as date) as as_of_date,
    cast(purchase_days as integer) as purchase_days,
    cast(repeat_purchase_days as integer) as repeat_purchase_days,
    cast(recency_days as integer) as recency_days,
    cast(tenure_days as integer) as tenure_days,
    cast(average_repeat_order_value as decimal(18, 2)) as average_repeat_order_value,
    cast(cutoff_date as date) as cutoff_date,
    cast(cutoff_repeat_purchase_days as integer) as cutoff_repeat_purchase_days,
    cast(cutoff_recency_days as integer) as cutoff_recency_days,
    cast(cutoff_tenure_days as integer) as cutoff_tenure_days,
    cast(cutoff_average_repeat_order_value as decimal(18, 2))
        as cutoff_average_repeat_order_value,
    cast(holdout_purchase_days as integer) as holdout_purchase_days,
    cast(holdout_net_revenue as decimal(18, 2)) as holdout_net_revenue
from final

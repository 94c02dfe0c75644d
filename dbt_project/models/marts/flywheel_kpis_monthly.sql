-- The flywheel's KPIs by month (in the brand's timezone), stage by stage. Lead and
-- customer counts are cohorts: how many of the month's new leads bought, by now.
with

stages as (
    select * from {{ ref('flywheel_stages') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

purchase_days as (
    select * from {{ ref('fct_purchase_days') }}
),

events as (
    select * from {{ ref('fct_engagement_events') }}
),

purchases as (
    select
        customer_id,
        ordered_date,
        net_amount,
        {{ dbt.date_trunc('month', 'ordered_date') }} as order_month
    from orders
),

months as (
    select distinct order_month as kpi_month from purchases
),

as_of as (
    select {{ loyalty_as_of_date('ordered_date') }} as as_of_date
    from purchases
),

leads as (
    select
        {{ dbt.date_trunc('month', 'first_seen_date') }} as kpi_month,
        count(*) as new_qualified_leads,
        count(activated_date) as activated_leads
    from stages
    group by {{ dbt.date_trunc('month', 'first_seen_date') }}
),

new_customers as (
    select
        {{ dbt.date_trunc('month', 'activated_date') }} as kpi_month,
        count(*) as new_customers,
        count(adopted_date) as new_customers_reaching_value
    from stages
    where activated_date is not null
    group by {{ dbt.date_trunc('month', 'activated_date') }}
),

reaching_value as (
    select
        {{ dbt.date_trunc('month', 'adopted_date') }} as kpi_month,
        count(*) as customers_reaching_value
    from stages
    where adopted_date is not null
    group by {{ dbt.date_trunc('month', 'adopted_date') }}
),

-- Active at a month's start: a purchase day within the lapse window before it.
{{ active_customers_by_month(
    'purchase_days', 'months', counted_on='month_start', name='active_at_start'
) }},

-- One row per customer per month they bought in: their first purchase day that month, the one
-- whose previous purchase day is in an earlier month.
monthly_buyers as (
    select
        kpi_month,
        previous_purchase_date
    from (
        select
            previous_purchase_date,
            {{ dbt.date_trunc('month', 'purchase_date') }} as kpi_month
        from purchase_days
    ) as purchase_months
    where {{ is_first_purchase_day_in_month('kpi_month') }}
),

-- The month's buyers, and those retained: active at the month's start, as the purchase day
-- before their first one that month is within the lapse window of the month's first day.
buyer_counts as (
    select
        kpi_month,
        count(*) as buyers,
        count(
            case
                when
                    {{ dbt.datediff('previous_purchase_date', 'kpi_month', 'day') }}
                    <= {{ lapse_window_days() }}
                    then 1
            end
        ) as retained_customers
    from monthly_buyers
    group by kpi_month
),

revenue as (
    select
        order_month as kpi_month,
        sum(net_amount) as net_revenue
    from purchases
    group by order_month
),

monthly_growth as (
    select
        revenue.kpi_month,
        revenue.net_revenue,
        coalesce(new_customers.new_customers, 0) as new_customers
    from revenue
    left join new_customers on revenue.kpi_month = new_customers.kpi_month
),

-- Lifetime value so far: net revenue to the month's end over customers who bought by then.
cumulative as (
    select
        kpi_month,
        sum(net_revenue) over (order by kpi_month) as cumulative_net_revenue,
        sum(new_customers) over (order by kpi_month) as cumulative_customers
    from monthly_growth
),

advocacy as (
    select
        {{ dbt.date_trunc('month', 'occurred_date') }} as kpi_month,
        count(case when event_type = 'referral_received' then 1 end) as referred_leads,
        count(case when event_type = 'referral_made' then 1 end) as referrals_made,
        count(case when event_source = 'sns' and event_type = 'review' then 1 end)
            as reviews_written
    from events
    group by {{ dbt.date_trunc('month', 'occurred_date') }}
),

final as (
    select
        months.kpi_month,
        -- The month holding the as-of day is not over yet while that day is not its last.
        as_of.as_of_date
        < {{ last_day_of_month('months.kpi_month') }}
            as is_partial_period,
        cumulative.cumulative_net_revenue,
        cumulative.cumulative_customers,
        coalesce(leads.new_qualified_leads, 0) as new_qualified_leads,
        coalesce(leads.activated_leads, 0) as activated_leads,
        coalesce(new_customers.new_customers, 0) as new_customers,
        coalesce(new_customers.new_customers_reaching_value, 0) as new_customers_reaching_value,
        coalesce(reaching_value.customers_reaching_value, 0) as customers_reaching_value,
        coalesce(active_at_start.active_customers, 0) as active_customers_at_start,
        coalesce(buyer_counts.retained_customers, 0) as retained_customers,
        coalesce(buyer_counts.buyers, 0) as buyers,
        coalesce(revenue.net_revenue, 0) as net_revenue,
        coalesce(advocacy.referred_leads, 0) as referred_leads,
        coalesce(advocacy.referrals_made, 0) as referrals_made,
        coalesce(advocacy.reviews_written, 0) as reviews_written
    from months
    cross join as_of
    left join leads on months.kpi_month = leads.kpi_month
    left join new_customers on months.kpi_month = new_customers.kpi_month
    left join reaching_value on months.kpi_month = reaching_value.kpi_month
    left join active_at_start on months.kpi_month = active_at_start.kpi_month
    left join buyer_counts on months.kpi_month = buyer_counts.kpi_month
    left join revenue on months.kpi_month = revenue.kpi_month
    left join cumulative on months.kpi_month = cumulative.kpi_month
    left join advocacy on months.kpi_month = advocacy.kpi_month
)

select
    cast(kpi_month as date) as kpi_month,
    cast(is_partial_period as boolean) as is_partial_period,
    cast(new_qualified_leads as integer) as new_qualified_leads,
    cast(activated_leads as integer) as activated_leads,
    cast({{ safe_divide('activated_leads', 'new_qualified_leads') }} as double) as activation_rate,
    cast(new_customers as integer) as new_customers,
    cast(customers_reaching_value as integer) as customers_reaching_value,
    cast({{ safe_divide('new_customers_reaching_value', 'new_customers') }} as double)
        as adoption_rate,
    cast(active_customers_at_start as integer) as active_customers_at_start,
    cast(retained_customers as integer) as retained_customers,
    cast({{ safe_divide('retained_customers', 'active_customers_at_start') }} as double)
        as retention_rate,
    cast(buyers as integer) as buyers,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast({{ safe_divide('net_revenue', 'buyers') }} as decimal(18, 2)) as revenue_per_customer,
    cast({{ safe_divide('cumulative_net_revenue', 'cumulative_customers') }} as decimal(18, 2))
        as lifetime_value,
    cast(referred_leads as integer) as referred_leads,
    cast(referrals_made as integer) as referrals_made,
    cast(reviews_written as integer) as reviews_written
from final

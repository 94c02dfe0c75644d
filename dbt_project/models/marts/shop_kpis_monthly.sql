-- The shop's monthly KPIs by their standard definitions (brand timezone, purchase days):
-- activation of leads, adoption of new customers, retention and churn of last month's
-- buyers, ARPU and ARPPU, and the cost of keeping a customer against winning one. A rate
-- whose cohort is not yet observed for its whole window is null; the month that holds the
-- as-of day is flagged while it is not over.
with

purchase_days as (
    select * from {{ ref('fct_purchase_days') }}
),

stages as (
    select * from {{ ref('flywheel_stages') }}
),

channel_days as (
    select * from {{ ref('fct_channel_daily') }}
    where cost_amount is not null
),

as_of as (
    select {{ loyalty_as_of_date('purchase_date') }} as as_of_date
    from purchase_days
),

monthly_purchase_days as (
    select
        *,
        {{ dbt.date_trunc('month', 'purchase_date') }} as kpi_month
    from purchase_days
),

months as (
    select
        kpi_month,
        {{ last_day_of_month('kpi_month') }} as month_end
    from (select distinct kpi_month from monthly_purchase_days) as purchase_months
),

-- Counted month by month over purchase days, never per customer: a customer's first purchase
-- day in a month is the one whose previous purchase day is in an earlier month, so it stands
-- for the customer's month (one buyer); a returning customer's purchase days that month include
-- one after their first ever, and the first such day is the first in the month or their second
-- ever.
revenue as (
    select
        kpi_month,
        count(case when is_first_in_month then 1 end) as buyers,
        count(
            case
                when purchase_day_number > 1 and (is_first_in_month or purchase_day_number = 2)
                    then 1
            end
        ) as returning_customers,
        sum(net_amount) as net_revenue,
        sum(case when purchase_day_number > 1 then discount_amount else 0 end)
            as retention_discounts,
        sum(case when purchase_day_number = 1 then discount_amount else 0 end)
            as first_purchase_discounts,
        -- Last month's buyers who bought again this month.
        count(
            case
                when
                    is_first_in_month
                    and previous_purchase_date
                    >= {{ dbt.dateadd('month', -1, 'kpi_month') }}
                    then 1
            end
        ) as retained_customers
    from (
        select
            *,
            {{ is_first_purchase_day_in_month('kpi_month') }} as is_first_in_month
        from monthly_purchase_days
    ) as purchase_days_in_month
    group by kpi_month
),

retention as (
    select
        months.kpi_month,
        last_month.buyers as previous_period_buyers,
        coalesce(this_month.retained_customers, 0) as retained_customers
    from months
    inner join revenue as last_month
        on last_month.kpi_month = {{ dbt.dateadd('month', -1, 'months.kpi_month') }}
    left join revenue as this_month on months.kpi_month = this_month.kpi_month
),

-- The active base ARPU divides by: customers not lapsed at the month's end (a purchase day
-- within loyalty.lapse_multiplier x expected_purchase_cycle_days before it).
{{ active_customers_by_month(
    'purchase_days', 'months', counted_on='month_end', name='active_base'
) }},

-- A lead is someone seen before they bought (a contact, an engagement), not a buyer.
leads as (
    select
        {{ dbt.date_trunc('month', 'first_seen_date') }} as kpi_month,
        count(*) as new_leads,
        count(
            case
                when
                    {{ dbt.datediff('first_seen_date', 'activated_date', 'day') }}
                    <= {{ var('lead_activation_window_days') }}
                    then 1
            end
        ) as leads_activated
    from stages
    where
        first_seen_date is not null
        and (activated_date is null or activated_date > first_seen_date)
    group by {{ dbt.date_trunc('month', 'first_seen_date') }}
),

new_customers as (
    select
        monthly_purchase_days.kpi_month,
        count(*) as new_customers,
        count(
            case
                when
                    {{ dbt.datediff(
                        'monthly_purchase_days.purchase_date', 'stages.adopted_date', 'day'
                    ) }}
                    <= {{ var('adoption_window_days') }}
                    then 1
            end
        ) as new_customers_adopted
    from monthly_purchase_days
    left join stages on monthly_purchase_days.customer_id = stages.customer_id
    where monthly_purchase_days.purchase_day_number = 1
    group by monthly_purchase_days.kpi_month
),

ad_spend as (
    select
        {{ dbt.date_trunc('month', 'activity_date') }} as kpi_month,
        sum(cost_amount) as ad_spend,
        count(distinct activity_date) as ad_stats_days
    from channel_days
    group by {{ dbt.date_trunc('month', 'activity_date') }}
),

measured as (
    select
        months.kpi_month,
        as_of.as_of_date < months.month_end as is_partial_period,
        -- A cohort's rate needs every member observed for the whole window.
        {{ dbt.dateadd('day', var('lead_activation_window_days'), 'months.month_end') }}
        <= as_of.as_of_date as leads_observed,
        {{ dbt.dateadd('day', var('adoption_window_days'), 'months.month_end') }}
        <= as_of.as_of_date as new_customers_observed,
        -- Ad spend is known for the month only when the ad stats cover each of its days so far.
        coalesce(
            ad_spend.ad_stats_days
            = {{ dbt.datediff(
                'months.kpi_month',
                'case when as_of.as_of_date < months.month_end then as_of.as_of_date'
                ~ ' else months.month_end end',
                'day'
            ) }} + 1,
            false
        ) as ad_spend_known,
        coalesce(leads.new_leads, 0) as new_leads,
        coalesce(leads.leads_activated, 0) as leads_activated,
        coalesce(new_customers.new_customers, 0) as new_customers,
        coalesce(new_customers.new_customers_adopted, 0) as new_customers_adopted,
        coalesce(retention.previous_period_buyers, 0) as previous_period_buyers,
        coalesce(retention.retained_customers, 0) as retained_customers,
        coalesce(revenue.buyers, 0) as buyers,
        coalesce(revenue.returning_customers, 0) as returning_customers,
        coalesce(active_base.active_customers, 0) as active_customers,
        coalesce(revenue.net_revenue, 0) as net_revenue,
        coalesce(revenue.retention_discounts, 0) as retention_discounts,
        coalesce(revenue.first_purchase_discounts, 0) as first_purchase_discounts,
        ad_spend.ad_spend
    from months
    cross join as_of
    left join leads on months.kpi_month = leads.kpi_month
    left join new_customers on months.kpi_month = new_customers.kpi_month
    left join retention on months.kpi_month = retention.kpi_month
    left join revenue on months.kpi_month = revenue.kpi_month
    left join active_base on months.kpi_month = active_base.kpi_month
    left join ad_spend on months.kpi_month = ad_spend.kpi_month
),

final as (
    select
        *,
        case
            when leads_observed then {{ safe_divide('leads_activated', 'new_leads') }}
        end as lead_activation_rate,
        case
            when new_customers_observed
                then {{ safe_divide('new_customers_adopted', 'new_customers') }}
        end as adoption_rate,
        {{ safe_divide('retained_customers', 'previous_period_buyers') }} as retention_rate,
        {{ safe_divide('retention_discounts', 'returning_customers') }}
            as retention_cost_per_returning_customer,
        case
            when ad_spend_known
                then {{ safe_divide('(ad_spend + first_purchase_discounts)', 'new_customers') }}
        end as acquisition_cost_per_new_customer
    from measured
)

select
    cast(kpi_month as date) as kpi_month,
    cast(is_partial_period as boolean) as is_partial_period,
    cast(new_leads as integer) as new_leads,
    cast(leads_activated as integer) as leads_activated,
    cast(lead_activation_rate as double) as lead_activation_rate,
    cast(new_customers as integer) as new_customers,
    cast(new_customers_adopted as integer) as new_customers_adopted,
    cast(adoption_rate as double) as adoption_rate,
    cast(previous_period_buyers as integer) as previous_period_buyers,
    cast(retained_customers as integer) as retained_customers,
    cast(retention_rate as double) as retention_rate,
    cast(previous_period_buyers - retained_customers as integer) as churned_customers,
    cast(1 - retention_rate as double) as churn_rate,
    cast(buyers as integer) as buyers,
    cast(returning_customers as integer) as returning_customers,
    cast(active_customers as integer) as active_customers,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast({{ safe_divide('net_revenue', 'active_customers') }} as decimal(18, 2)) as arpu,
    cast({{ safe_divide('net_revenue', 'buyers') }} as decimal(18, 2)) as arppu,
    cast(retention_discounts as decimal(18, 2)) as retention_spend,
    cast(retention_cost_per_returning_customer as decimal(18, 2))
        as retention_cost_per_returning_customer,
    cast(ad_spend as decimal(18, 2)) as ad_spend,
    cast(first_purchase_discounts as decimal(18, 2)) as first_purchase_discounts,
    cast(acquisition_cost_per_new_customer as decimal(18, 2)) as acquisition_cost_per_new_customer,
    cast(
        {{ safe_divide(
            'acquisition_cost_per_new_customer', 'retention_cost_per_returning_customer'
        ) }}
        as double
    ) as acquisition_to_retention_cost_ratio
from final

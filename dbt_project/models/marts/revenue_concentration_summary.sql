-- The headline of the Pareto view: how much net revenue the top 10%, 20% and 30% bring.
with

ranked as (
    select * from {{ ref('revenue_concentration') }}
),

-- The top p% are the first ceil(p × customers / 100) customers by rank.
cutoffs as (
    select
        count(*) as customers_count,
        sum(net_revenue) as total_net_revenue,
        ceiling(10 * count(*) / 100.0) as top_10_pct_customers,
        ceiling(20 * count(*) / 100.0) as top_20_pct_customers,
        ceiling(30 * count(*) / 100.0) as top_30_pct_customers
    from ranked
),

tops as (
    select
        cutoffs.customers_count,
        cutoffs.total_net_revenue,
        cutoffs.top_10_pct_customers,
        cutoffs.top_20_pct_customers,
        cutoffs.top_30_pct_customers,
        coalesce(sum(case
            when ranked.customer_rank <= cutoffs.top_10_pct_customers then ranked.net_revenue
        end), 0) as top_10_pct_net_revenue,
        coalesce(sum(case
            when ranked.customer_rank <= cutoffs.top_20_pct_customers then ranked.net_revenue
        end), 0) as top_20_pct_net_revenue,
        coalesce(sum(case
            when ranked.customer_rank <= cutoffs.top_30_pct_customers then ranked.net_revenue
        end), 0) as top_30_pct_net_revenue
    from cutoffs
    left join ranked on cutoffs.top_30_pct_customers >= ranked.customer_rank
    group by
        cutoffs.customers_count,
        cutoffs.total_net_revenue,
        cutoffs.top_10_pct_customers,
        cutoffs.top_20_pct_customers,
        cutoffs.top_30_pct_customers
),

-- Shares in double precision from the exact decimal sums (null when there is no revenue).
final as (
    select
        *,
        cast(top_10_pct_net_revenue as double)
        / nullif(cast(total_net_revenue as double), 0) as top_10_pct_revenue_share,
        cast(top_20_pct_net_revenue as double)
        / nullif(cast(total_net_revenue as double), 0) as top_20_pct_revenue_share,
        cast(top_30_pct_net_revenue as double)
        / nullif(cast(total_net_revenue as double), 0) as top_30_pct_revenue_share
    from tops
)

select
    cast(customers_count as integer) as customers_count,
    cast(total_net_revenue as decimal(18, 2)) as total_net_revenue,
    cast(top_10_pct_customers as integer) as top_10_pct_customers,
    cast(top_10_pct_net_revenue as decimal(18, 2)) as top_10_pct_net_revenue,
    cast(top_10_pct_revenue_share as double) as top_10_pct_revenue_share,
    cast(top_20_pct_customers as integer) as top_20_pct_customers,
    cast(top_20_pct_net_revenue as decimal(18, 2)) as top_20_pct_net_revenue,
    cast(top_20_pct_revenue_share as double) as top_20_pct_revenue_share,
    cast(top_30_pct_customers as integer) as top_30_pct_customers,
    cast(top_30_pct_net_revenue as decimal(18, 2)) as top_30_pct_net_revenue,
    cast(top_30_pct_revenue_share as double) as top_30_pct_revenue_share
from final

-- The Pareto view: customers from the highest net revenue down, with running shares.
with

customers as (
    select * from {{ ref('customer_ltv') }}
),

ranked as (
    select
        customer_id,
        net_lifetime_value as net_revenue,
        row_number() over (
            order by net_lifetime_value desc, customer_id asc
        ) as customer_rank,
        count(*) over () as customers_count,
        sum(net_lifetime_value) over () as total_net_revenue
    from customers
),

cumulated as (
    select
        *,
        sum(net_revenue) over (
            order by customer_rank rows between unbounded preceding and current row
        ) as cumulative_net_revenue
    from ranked
),

final as (
    select
        *,
        {{ divide('customer_rank', 'customers_count') }} as cumulative_customer_share,
        case
            when total_net_revenue <> 0
                then
                    cast(cumulative_net_revenue as double)
                    / cast(total_net_revenue as double)
        end as cumulative_revenue_share,
        -- Same cutoff as revenue_concentration_summary: the first ceil(10% × customers).
        customer_rank <= ceiling(10 * customers_count / 100.0) as is_top_decile
    from cumulated
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(customer_rank as integer) as customer_rank,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast(cumulative_net_revenue as decimal(18, 2)) as cumulative_net_revenue,
    cast(cumulative_customer_share as double) as cumulative_customer_share,
    cast(cumulative_revenue_share as double) as cumulative_revenue_share,
    cast(is_top_decile as boolean) as is_top_decile
from final

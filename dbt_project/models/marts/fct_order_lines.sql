-- Order lines net of the order's discount, refunds and cancellations, which the shops report
-- per order: the discount is shared by line gross; what the order did not keep (gross −
-- discount − net) comes first off the lines the shop marked returned or cancelled, the rest
-- off the other lines, each by line amount after discount; all in whole cents, so the lines
-- of an order add up to fct_orders.net_amount exactly.
with

-- Each model is read twice, narrow for the shares and whole for the final columns, so that no
-- CTE is used twice: DuckDB would materialise such a CTE, every line with all its text.
line_amounts as (
    select
        order_line_id,
        order_id,
        line_number,
        gross_amount,
        is_returned_or_cancelled
    from {{ ref('int_order_lines_latest') }}
),

order_amounts as (
    select
        order_id,
        discount_amount as order_discount_amount,
        net_amount as order_net_amount
    from {{ ref('fct_orders') }}
),

lines as (
    select * from {{ ref('int_order_lines_latest') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

-- The shares need only the amounts: the windows sort these narrow rows, and the text columns
-- join back once at the end (sorting them along was most of this model's time).
running_amounts as (
    select
        line_amounts.*,
        order_amounts.order_discount_amount,
        order_amounts.order_net_amount,
        sum(line_amounts.gross_amount)
            over (partition by line_amounts.order_id)
            as order_gross_amount,
        sum(line_amounts.gross_amount) over (
            partition by line_amounts.order_id
            order by line_amounts.line_number
            rows between unbounded preceding and current row
        ) as running_gross_amount
    from line_amounts
    inner join order_amounts on line_amounts.order_id = order_amounts.order_id
),

discounted as (
    select
        *,
        {{ allocated_share(
            'order_discount_amount', 'gross_amount', 'running_gross_amount', 'order_gross_amount'
        ) }} as discount_amount
    from running_amounts
),

-- Returned or cancelled lines and the others are shared out separately; both groups' running
-- and total amounts come from one ordering of the order's lines.
after_discount as (
    select
        *,
        gross_amount - discount_amount as discounted_amount,
        sum(case when is_returned_or_cancelled then gross_amount - discount_amount else 0 end)
            over (
                partition by order_id
                order by line_number
                rows between unbounded preceding and current row
            )
            as running_returned_discounted_amount,
        sum(case when is_returned_or_cancelled then 0 else gross_amount - discount_amount end)
            over (
                partition by order_id
                order by line_number
                rows between unbounded preceding and current row
            )
            as running_kept_discounted_amount,
        sum(case when is_returned_or_cancelled then gross_amount - discount_amount else 0 end)
            over (partition by order_id) as returned_discounted_amount,
        sum(case when is_returned_or_cancelled then 0 else gross_amount - discount_amount end)
            over (partition by order_id) as kept_discounted_amount,
        order_gross_amount - order_discount_amount - order_net_amount as order_not_kept_amount
    from discounted
),

not_kept as (
    select
        *,
        case
            when is_returned_or_cancelled then running_returned_discounted_amount
            else running_kept_discounted_amount
        end as running_discounted_amount,
        case
            when is_returned_or_cancelled then returned_discounted_amount
            else kept_discounted_amount
        end as group_discounted_amount,
        case
            when is_returned_or_cancelled
                then least(order_not_kept_amount, returned_discounted_amount)
            else order_not_kept_amount - least(order_not_kept_amount, returned_discounted_amount)
        end as group_not_kept_amount
    from after_discount
),

shares as (
    select
        order_line_id,
        discount_amount,
        discounted_amount,
        {{ allocated_share(
            'group_not_kept_amount',
            'discounted_amount',
            'running_discounted_amount',
            'group_discounted_amount'
        ) }} as refunded_or_cancelled_amount
    from not_kept
),

final as (
    select
        lines.*,
        orders.customer_id,
        orders.ordered_at,
        orders.ordered_date,
        orders.source,
        orders.status as order_status,
        orders.currency,
        shares.discount_amount,
        shares.discounted_amount,
        shares.refunded_or_cancelled_amount
    from lines
    inner join orders on lines.order_id = orders.order_id
    inner join shares on lines.order_line_id = shares.order_line_id
)

select
    cast(order_line_id as {{ dbt.type_string() }}) as order_line_id,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(line_number as integer) as line_number,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(ordered_at as {{ type_timestamp_tz() }}) as ordered_at,
    cast(ordered_date as date) as ordered_date,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(order_status as {{ dbt.type_string() }}) as order_status,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(product_key as {{ dbt.type_string() }}) as product_key,
    cast(product_name as {{ dbt.type_string() }}) as product_name,
    cast(product_sku as {{ dbt.type_string() }}) as product_sku,
    cast(quantity as integer) as quantity,
    cast(gross_amount as decimal(18, 2)) as gross_amount,
    cast(discount_amount as decimal(18, 2)) as discount_amount,
    cast(refunded_or_cancelled_amount as decimal(18, 2)) as refunded_or_cancelled_amount,
    cast(discounted_amount - refunded_or_cancelled_amount as decimal(18, 2)) as net_amount,
    cast(is_returned_or_cancelled as boolean) as is_returned_or_cancelled
from final

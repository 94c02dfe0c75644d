-- Conservation: every order's lines add up to its net amount, to the cent.
with

orders as (
    select * from {{ ref('fct_orders') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

line_totals as (
    select
        order_id,
        sum(net_amount) as lines_net_amount
    from order_lines
    group by order_id
)

select
    orders.order_id,
    orders.net_amount,
    line_totals.lines_net_amount
from orders
left join line_totals on orders.order_id = line_totals.order_id
where orders.net_amount <> coalesce(line_totals.lines_net_amount, 0)

-- Each buyer's first ("experience") purchase and what it was: the category of the line the
-- customer paid most for in that order, so a basket with a free sample counts as its main item.
with

purchases as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

-- Each buyer's first purchase day: their first order is among that day's orders, so only those
-- are ranked, not every order of every customer.
first_purchase_days as (
    select
        customer_id,
        purchase_date
    from {{ ref('fct_purchase_days') }}
    where purchase_day_number = 1
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

first_orders as (
    select
        purchases.customer_id,
        purchases.order_id,
        purchases.ordered_at
    from first_purchase_days
    inner join purchases
        on
            first_purchase_days.customer_id = purchases.customer_id
            and first_purchase_days.purchase_date = purchases.ordered_date
    qualify row_number() over (
        partition by purchases.customer_id
        order by purchases.ordered_at asc, purchases.order_id asc
    ) = 1
),

main_lines as (
    select
        first_orders.customer_id,
        products.product_category,
        products.product_category_ko,
        products.is_experience_product
    from first_orders
    inner join order_lines on first_orders.order_id = order_lines.order_id
    inner join products on order_lines.product_key = products.product_key
    qualify row_number() over (
        partition by first_orders.customer_id
        order by order_lines.gross_amount desc, order_lines.line_number asc
    ) = 1
),

final as (
    select
        first_orders.customer_id,
        first_orders.order_id as first_order_id,
        first_orders.ordered_at as first_order_at,
        coalesce(main_lines.product_category, 'other') as first_product_category,
        coalesce(main_lines.product_category_ko, '기타') as first_product_category_ko,
        coalesce(main_lines.is_experience_product, false) as started_with_experience_product
    from first_orders
    left join main_lines on first_orders.customer_id = main_lines.customer_id
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(first_order_id as {{ dbt.type_string() }}) as first_order_id,
    cast(first_order_at as {{ type_timestamp_tz() }}) as first_order_at,
    cast(first_product_category as {{ dbt.type_string() }}) as first_product_category,
    cast(first_product_category_ko as {{ dbt.type_string() }}) as first_product_category_ko,
    cast(started_with_experience_product as boolean) as started_with_experience_product
from final

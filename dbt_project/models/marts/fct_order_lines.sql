{{ config(
    materialized=history_materialization(),
    unique_key='order_id',
    incremental_strategy=history_incremental_strategy(),
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_order_customer_changes') }} (read by incremental builds only)
-- Order lines with their order's customer, date, status and currency. The lines and their
-- shares of the order's amounts are int_order_lines_latest's, kept by order from run to run.
-- Incremental by order: a run takes up the orders whose lines this dbt build replaced and the
-- orders whose customer changed (an identity merge re-keys old orders); every other order's
-- date, status and currency come from the same version as before.
with

{% if is_incremental() -%}
changed_orders as (
    {{ orders_to_take_up(ref('int_order_lines_latest'), ref('int_order_customer_changes')) }}
),

{% endif -%}
lines as (
    select * from {{ ref('int_order_lines_latest') }}
    {%- if is_incremental() %}
        where order_id in (select order_id from changed_orders)
    {%- endif %}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        lines.*,
        orders.customer_id,
        orders.ordered_at,
        orders.ordered_date,
        orders.source,
        orders.status as order_status,
        orders.currency
    from lines
    inner join orders on lines.order_id = orders.order_id
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
    cast(net_amount as decimal(18, 2)) as net_amount,
    cast(is_returned_or_cancelled as boolean) as is_returned_or_cancelled
from final

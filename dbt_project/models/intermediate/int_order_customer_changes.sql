-- The orders whose customer changed since the last build: an identity merge re-keys old orders
-- to the merged customer, a split or a new version with another email moves an order to another
-- one. The models kept from build to build (fct_orders, fct_order_lines, fct_purchase_days)
-- take up these orders and both their customers, not every order.
-- It compares fct_orders as the last build left it with the order's customer now, so it reads
-- that table by name, not by ref: fct_orders refs this model, which therefore runs first. An
-- order's customer changed only if this build wrote the order's identity (int_customer_identities
-- writes the identifiers whose customer changed): only those are compared, not every order.
{%- set kept_orders = adapter.get_relation(
    database=this.database, schema=generate_schema_name('marts', model), identifier='fct_orders'
) if execute else none %}

with

current_customers as (
    select
        identifier_value as order_id,
        customer_id,
        dbt_invocation_id
    from {{ ref('int_customer_identities') }}
    where identifier_type = 'order_id'
),

changes as (
    {%- if kept_orders is not none and not flags.FULL_REFRESH %}
        select
            kept.order_id,
            kept.customer_id as previous_customer_id,
            current_customers.customer_id
        from {{ kept_orders }} as kept
        inner join current_customers on kept.order_id = current_customers.order_id
        where
            current_customers.{{ made_in_this_build() }}
            and current_customers.customer_id is distinct from kept.customer_id
    {%- else %}
        -- The first build (no fct_orders yet) or a full one: every order is taken up anyway.
        select
            order_id,
            customer_id as previous_customer_id,
            customer_id
        from current_customers
        where false
    {%- endif %}
)

select
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(previous_customer_id as {{ dbt.type_string() }}) as previous_customer_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id
from changes

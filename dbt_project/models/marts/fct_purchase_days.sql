{{ config(
    materialized=history_materialization(),
    unique_key='customer_id',
    incremental_strategy=history_incremental_strategy(),
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where customer_id in ("
        ~ "{{ purchase_day_customers_to_take_up() }}){% endif %}",
) }}
-- depends_on: {{ ref('int_orders_deduplicated') }} {{ ref('int_order_customer_changes') }}
-- (read by incremental builds only)
-- A purchase day (구매일) is a local calendar day on which a customer bought: several orders on
-- one day are one purchase occasion, as in the customer-base literature (BG/NBD). Repeat,
-- frequency and the predicted-value model count purchase days, never orders.
-- Incremental by customer: a customer's rows depend on that customer's orders alone, so a run
-- takes up the customers of the orders it (re)computed and of the orders that changed customer.
-- Their old rows go first (pre_hook): a customer whose last purchase was cancelled, or who was
-- merged into another, has no new row to replace them by key.
with

purchases as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
    {%- if is_incremental() %}
        and customer_id in ({{ purchase_day_customers_to_take_up() }})
    {%- endif %}
),

purchase_days as (
    select
        customer_id,
        ordered_date as purchase_date,
        count(*) as orders_count,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount
    from purchases
    group by customer_id, ordered_date
),

sequenced as (
    select
        customer_id,
        purchase_date,
        orders_count,
        gross_amount,
        discount_amount,
        net_amount,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as purchase_day_number,
        min(purchase_date) over (partition by customer_id) as first_purchase_date,
        lag(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date
    from purchase_days
),

final as (
    select
        *,
        {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
            as days_since_previous_purchase,
        {{ dbt.datediff('first_purchase_date', 'purchase_date', 'day') }}
            as days_since_first_purchase
    from sequenced
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(purchase_date as date) as purchase_date,
    cast(purchase_day_number as integer) as purchase_day_number,
    cast(first_purchase_date as date) as first_purchase_date,
    cast(previous_purchase_date as date) as previous_purchase_date,
    cast(days_since_previous_purchase as integer) as days_since_previous_purchase,
    cast(days_since_first_purchase as integer) as days_since_first_purchase,
    cast(orders_count as integer) as orders_count,
    cast(gross_amount as decimal(18, 2)) as gross_amount,
    cast(discount_amount as decimal(18, 2)) as discount_amount,
    cast(net_amount as decimal(18, 2)) as net_amount
from final

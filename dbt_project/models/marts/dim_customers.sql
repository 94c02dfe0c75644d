with

orders as (
    select * from {{ ref('fct_orders') }}
),

contacts as (
    select * from {{ ref('int_contacts_deduplicated') }}
),

engagement as (
    select * from {{ ref('stg_sns__engagement_events') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

order_history as (
    select
        customer_id,
        min(case when is_purchase then ordered_at end) as first_order_at,
        max(case when is_purchase then ordered_at end) as last_order_at,
        count(case when is_purchase then 1 end) as orders_count,
        sum(net_amount) as net_revenue
    from orders
    group by customer_id
),

sns_engagement as (
    select
        identities.customer_id,
        count(*) as sns_engagement_events
    from engagement
    inner join identities
        on
            identities.identifier_type = 'sns_handle'
            and engagement.handle = identities.identifier_value
    group by identities.customer_id
),

-- Everyone identity resolution knows: buyers, CRM contacts, shop accounts, members.
customers as (
    select distinct customer_id from identities
),

final as (
    select
        customers.customer_id,
        order_history.first_order_at,
        order_history.last_order_at,
        coalesce(order_history.orders_count, 0) as orders_count,
        coalesce(order_history.net_revenue, 0) as net_revenue,
        case
            when order_history.orders_count > 0
                then {{ divide('order_history.net_revenue', 'order_history.orders_count') }}
        end as average_order_value,
        contacts.customer_id is not null as is_crm_contact,
        coalesce(sns_engagement.sns_engagement_events, 0) as sns_engagement_events
    from customers
    left join order_history on customers.customer_id = order_history.customer_id
    left join contacts on customers.customer_id = contacts.customer_id
    left join sns_engagement on customers.customer_id = sns_engagement.customer_id
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(first_order_at as {{ type_timestamp_tz() }}) as first_order_at,
    cast(last_order_at as {{ type_timestamp_tz() }}) as last_order_at,
    cast(orders_count as integer) as orders_count,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast(average_order_value as decimal(18, 2)) as average_order_value,
    cast(is_crm_contact as boolean) as is_crm_contact,
    cast(sns_engagement_events as integer) as sns_engagement_events
from final

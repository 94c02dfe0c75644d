-- Where each customer stands on the flywheel: lead → activation → adoption → retention →
-- advocacy, the highest stage reached, counted in purchase days (thresholds under flywheel: in
-- dangol.yaml). A stage once reached stays: whether they buy now is lifecycle_status.
with

loyalty as (
    select * from {{ ref('customer_loyalty') }}
),

lifetime as (
    select * from {{ ref('customer_ltv') }}
),

purchase_days as (
    select * from {{ ref('fct_purchase_days') }}
),

events as (
    select * from {{ ref('fct_engagement_events') }}
    where customer_id is not null
),

contacts as (
    select * from {{ ref('int_contacts_deduplicated') }}
),

-- The purchase day that reaches adoption_min_orders purchase days.
value_purchases as (
    select
        customer_id,
        purchase_date as value_purchase_date
    from purchase_days
    where purchase_day_number = {{ var('flywheel_adoption_min_orders') }}
),

first_touches as (
    select
        customer_id,
        min(occurred_date) as first_event_date
    from events
    group by customer_id
),

staged as (
    select
        loyalty.customer_id,
        loyalty.orders_count,
        lifetime.first_order_date,
        -- least() skips nulls: the earliest of whichever the customer has.
        least(
            lifetime.first_order_date,
            first_touches.first_event_date,
            {{ local_date('contacts.created_at') }}
        ) as first_seen_date,
        -- Reaching value: the adoption purchase, or a membership join once they bought.
        least(
            value_purchases.value_purchase_date,
            {% if var('flywheel_adoption_by_membership') %}
                case
                    when
                        lifetime.first_order_date is not null
                        and loyalty.joined_membership_at is not null
                        then greatest(
                            {{ local_date('loyalty.joined_membership_at') }},
                            lifetime.first_order_date
                        )
                end
            {% else %}
                null
            {% endif %}
        ) as adopted_date,
        coalesce(loyalty.purchase_days, 0) as purchase_days,
        lifetime.lifecycle_status,
        coalesce(lifetime.is_lapsed, true) as is_lapsed,
        loyalty.is_advocate
    from loyalty
    left join lifetime on loyalty.customer_id = lifetime.customer_id
    left join value_purchases on loyalty.customer_id = value_purchases.customer_id
    left join first_touches on loyalty.customer_id = first_touches.customer_id
    left join contacts on loyalty.customer_id = contacts.customer_id
),

final as (
    select
        *,
        case
            when purchase_days = 0 then 'lead'
            when is_advocate then 'advocacy'
            when purchase_days >= {{ var('flywheel_retention_min_orders') }} then 'retention'
            when adopted_date is not null then 'adoption'
            else 'activation'
        end as flywheel_stage
    from staged
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(flywheel_stage as {{ dbt.type_string() }}) as flywheel_stage,
    cast(
        case flywheel_stage
            when 'lead' then 0
            when 'activation' then 1
            when 'adoption' then 2
            when 'retention' then 3
            else 4
        end as integer
    ) as flywheel_stage_order,
    cast({{ flywheel_stage_label('flywheel_stage') }} as {{ dbt.type_string() }})
        as flywheel_stage_ko,
    cast(first_seen_date as date) as first_seen_date,
    cast(first_order_date as date) as activated_date,
    cast(adopted_date as date) as adopted_date,
    cast(orders_count as integer) as orders_count,
    cast(purchase_days as integer) as purchase_days,
    cast(lifecycle_status as {{ dbt.type_string() }}) as lifecycle_status,
    cast(is_lapsed as boolean) as is_lapsed
from final

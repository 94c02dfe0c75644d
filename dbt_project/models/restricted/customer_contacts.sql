-- Each customer's name, email and phone from every source that carries them: CRM contacts,
-- Shopify customers and the shops' orders. For exports only, never published to BI.
-- A contact point is only where to send; whether one may send is consent_facts' business.
with

crm_contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

shop_customers as (
    select * from {{ ref('stg_shopify__customers') }}
),

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
),

-- Where a person keeps their details (a CRM contact, a shop account) ranks before what one
-- order carried; within a rank the newest sighting wins.
sightings as (
    {%- for contact_type, column in [('email', 'customer_email'), ('phone', 'customer_phone')] %}
        {{ 'union all' if not loop.first }}
        select
            '{{ contact_type }}' as contact_type,
            {{ column }} as contact_point,
            'crm_contacts' as source,
            1 as source_rank,
            coalesce(updated_at, created_at) as seen_at,
            customer_name
        from crm_contacts
        union all
        select
            '{{ contact_type }}' as contact_type,
            {{ column }} as contact_point,
            'shopify_customers' as source,
            1 as source_rank,
            loaded_at as seen_at,
            customer_name
        from shop_customers
        union all
        -- An order's sighting is its date alone: of a contact point's orders only the newest
        -- can come first, so it stands for them (a tenth of the rows at 10 orders a customer).
        select
            '{{ contact_type }}' as contact_type,
            {{ column }} as contact_point,
            'orders' as source,
            2 as source_rank,
            max(ordered_at) as seen_at,
            cast(null as {{ dbt.type_string() }}) as customer_name
        from orders
        where {{ column }} is not null
        group by {{ column }}
    {%- endfor %}
),

-- A contact point shared by many people (a placeholder) is no identity, so it reaches no one.
resolved as (
    select
        sightings.*,
        identities.customer_id,
        row_number() over (
            partition by identities.customer_id, sightings.contact_type
            order by
                sightings.source_rank asc,
                sightings.seen_at desc nulls last,
                sightings.contact_point asc
        ) as best_first
    from sightings
    inner join identities
        on
            sightings.contact_type = identities.identifier_type
            and sightings.contact_point = identities.identifier_value
),

named as (
    select
        customer_id,
        customer_name,
        row_number() over (
            partition by customer_id
            order by source_rank asc, seen_at desc nulls last, customer_name asc
        ) as best_first
    from resolved
    where nullif(customer_name, '') is not null
),

customers as (
    select distinct customer_id from resolved
)

select
    cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(named.customer_name as {{ dbt.type_string() }}) as customer_name,
    cast(email.contact_point as {{ dbt.type_string() }}) as email,
    cast(email.source as {{ dbt.type_string() }}) as email_source,
    cast(phone.contact_point as {{ dbt.type_string() }}) as phone_e164,
    cast(phone.source as {{ dbt.type_string() }}) as phone_source
from customers
left join named on customers.customer_id = named.customer_id and named.best_first = 1
left join resolved as email
    on
        customers.customer_id = email.customer_id
        and email.contact_type = 'email'
        and email.best_first = 1
left join resolved as phone
    on
        customers.customer_id = phone.customer_id
        and phone.contact_type = 'phone'
        and phone.best_first = 1

-- Every identifier a consent fact may carry, mapped to the customer it belongs to. The one
-- place consent meets identity: identity resolution's int_customer_identities replaces it.
with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

shop_customers as (
    select
        *,
        {{ customer_key(
            'customer_email', 'customer_phone', "'shopify-' || shopify_customer_id"
        ) }} as customer_id
    from {{ ref('stg_shopify__customers') }}
),

identifiers as (
    select
        'crm_contact_id' as identifier_type,
        contact_id as identifier_value,
        customer_id
    from contacts
    union
    select
        'email' as identifier_type,
        customer_email as identifier_value,
        customer_id
    from contacts
    union
    select
        'phone' as identifier_type,
        customer_phone as identifier_value,
        customer_id
    from contacts
    union
    select
        'email' as identifier_type,
        customer_email as identifier_value,
        customer_id
    from shop_customers
    union
    select
        'phone' as identifier_type,
        customer_phone as identifier_value,
        customer_id
    from shop_customers
)

select
    identifier_type,
    identifier_value,
    customer_id
from identifiers
where identifier_value is not null

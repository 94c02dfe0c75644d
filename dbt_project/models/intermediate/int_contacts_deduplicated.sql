-- One contact record per customer (resolved identity): the most recently updated one wins.
with

-- Staging keys a contact by its own email or phone; the resolved person replaces that key.
contacts as (
    select * exclude (customer_id) from {{ ref('stg_crm__contacts') }}
),

contact_customers as (
    select
        identifier_value as contact_id,
        customer_id
    from {{ ref('int_customer_identities') }}
    where identifier_type = 'crm_contact_id'
),

resolved as (
    select
        contacts.*,
        contact_customers.customer_id
    from contacts
    inner join contact_customers on contacts.contact_id = contact_customers.contact_id
)

select * from resolved
qualify row_number() over (
    partition by customer_id
    order by updated_at desc nulls last, ingest_file_seq desc, contact_id asc
) = 1

-- One contact record per customer (resolved identity): the most recently updated one wins.
with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

contact_customers as (
    select
        identifier_value as contact_id,
        customer_id
    from {{ ref('int_customer_identities') }}
    where identifier_type = 'crm_contact_id'
),

-- Staging keys a contact by its own email or phone; the resolved person replaces that key.
resolved as (
    select
        contacts.contact_id,
        contacts.customer_name,
        contacts.customer_email_raw,
        contacts.customer_email,
        contacts.customer_phone_raw,
        contacts.customer_phone,
        contacts.email_consent,
        contacts.email_consent_at,
        contacts.email_reconfirmed_at,
        contacts.sms_consent,
        contacts.sms_consent_at,
        contacts.sms_reconfirmed_at,
        contacts.kakao_consent,
        contacts.kakao_consent_at,
        contacts.kakao_reconfirmed_at,
        contacts.night_consent,
        contacts.instagram_handle,
        contacts.created_at,
        contacts.updated_at,
        contacts.ingest_file_seq,
        contact_customers.customer_id
    from contacts
    inner join contact_customers on contacts.contact_id = contact_customers.contact_id
)

select * from resolved
qualify row_number() over (
    partition by customer_id
    order by updated_at desc nulls last, ingest_file_seq desc, contact_id asc
) = 1

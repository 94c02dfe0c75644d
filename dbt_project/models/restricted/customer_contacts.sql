-- Contact points and consent per customer: for exports only, never published to BI.
with

contacts as (
    select * from {{ ref('int_contacts_deduplicated') }}
)

select
    customer_id,
    customer_name,
    customer_email as email,
    customer_phone as phone_e164,
    email_consent,
    email_consent_at,
    sms_consent,
    sms_consent_at,
    kakao_consent,
    kakao_consent_at,
    night_consent,
    updated_at
from contacts

-- Every email and phone the brand's suppression list holds, once: segment_audience excludes
-- anyone with one of them, whatever their consent.
with

suppression_list as (
    select * from {{ ref('stg_consent__suppression_list') }}
),

emails as (
    select distinct
        'email' as contact_type,
        email as contact_point
    from suppression_list
    where email is not null
),

phones as (
    select distinct
        'phone' as contact_type,
        phone_e164 as contact_point
    from suppression_list
    where phone_e164 is not null
),

contact_points as (
    select * from emails
    union all
    select * from phones
)

select
    cast(contact_type as {{ dbt.type_string() }}) as contact_type,
    cast(contact_point as {{ dbt.type_string() }}) as contact_point
from contact_points

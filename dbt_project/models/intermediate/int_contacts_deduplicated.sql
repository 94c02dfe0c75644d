-- One contact record per customer: the most recently updated one wins.
with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
)

select * from contacts
qualify row_number() over (
    partition by customer_id
    order by updated_at desc nulls last, ingest_file_seq desc, contact_id asc
) = 1

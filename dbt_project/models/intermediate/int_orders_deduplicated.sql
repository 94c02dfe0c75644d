-- Orders from every shop; an order exported again (paid -> refunded, cancelled...) takes its
-- state from the newest file it appears in.
with

order_versions as (
    select * from {{ ref('int_shopify__order_versions') }}
    union all by name
    select * from {{ ref('int_cafe24__order_versions') }}
    union all by name
    select * from {{ ref('int_smartstore__order_versions') }}
)

select * from order_versions
qualify row_number() over (
    partition by order_id order by ingest_file_seq desc, source_record desc
) = 1

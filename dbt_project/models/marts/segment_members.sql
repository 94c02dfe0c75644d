-- Who belongs in each configured segment, and why; contact points are added only on export.
with

rfm as (
    select * from {{ ref('customer_rfm') }}
),

rules as (
    select * from {{ ref('stg_dangol__segment_rules') }}
)

select
    cast(rules.segment_name as varchar) as segment_name,
    cast(rules.channel as varchar) as channel,
    cast(rfm.customer_id as varchar) as customer_id,
    cast('RFM segment: ' || rfm.rfm_segment as varchar) as reason
from rules
inner join rfm on rules.rfm_segment = rfm.rfm_segment

{{ config(
    materialized=history_materialization(),
    unique_key='order_id',
    incremental_strategy=history_incremental_strategy(),
) }}
-- Each order with the channel and campaign its visit came from: UTM tags on the landing page
-- (utm_source is the channel, as the ad stats name it; utm_campaign the campaign), else the
-- referring site's host under "referral", else "unattributed" (Cafe24 and SmartStore exports
-- carry neither). Incremental by order: an order's channel comes from its latest version alone,
-- so a run takes up only the orders int_orders_deduplicated replaced in this dbt build.
with

latest_versions as (
    select * from {{ ref('int_orders_deduplicated') }}
    {%- if is_incremental() %}
        where {{ made_in_this_build() }}
    {%- endif %}
),

shopify_orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

visits as (
    select
        latest_versions.order_id,
        {{ url_parameter('shopify_orders.landing_site', 'utm_source') }} as utm_source,
        {{ url_parameter('shopify_orders.landing_site', 'utm_campaign') }} as utm_campaign,
        {{ url_host('shopify_orders.referring_site') }} as referring_host
    from latest_versions
    inner join shopify_orders
        on
            latest_versions.order_id = shopify_orders.order_id
            and latest_versions.ingest_file_seq = shopify_orders.ingest_file_seq
            and latest_versions.source_record = shopify_orders.source_record
),

final as (
    select
        latest_versions.order_id,
        case
            when visits.utm_source is not null then lower(visits.utm_source)
            when visits.referring_host is not null then 'referral'
            else 'unattributed'
        end as channel,
        case
            when visits.utm_source is not null then coalesce(visits.utm_campaign, '(none)')
            when visits.referring_host is not null then visits.referring_host
            else '(none)'
        end as campaign
    from latest_versions
    left join visits on latest_versions.order_id = visits.order_id
)

select
    *,
    -- Which dbt build (re)computed the order's channel: its unique test probes those keys.
    {{ this_build_marker() }}
from final

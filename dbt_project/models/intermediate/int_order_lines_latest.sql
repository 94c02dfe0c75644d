-- Every shop's order lines, from the export file each order's latest version came from.
with

latest_versions as (
    select
        order_id,
        ingest_file_seq
    from {{ ref('int_orders_deduplicated') }}
),

shopify_lines as (
    select
        order_id,
        ingest_file_seq,
        source_record,
        product_name,
        product_sku,
        quantity,
        quantity * unit_price as gross_amount,
        -- Shopify reports refunds per order, not per line.
        false as is_returned_or_cancelled
    from {{ ref('stg_shopify__order_lines') }}
),

-- Cafe24 and SmartStore write one row per item with its own state (반품, 취소...).
korean_shop_lines as (
    {%- for items in ['stg_cafe24__order_items', 'stg_smartstore__product_orders'] %}
        select
            order_id,
            ingest_file_seq,
            source_record,
            product_name,
            cast(null as {{ dbt.type_string() }}) as product_sku,
            quantity,
            item_amount as gross_amount,
            line_state in ('refunded', 'cancelled') as is_returned_or_cancelled
        from {{ ref(items) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

shop_lines as (
    select * from shopify_lines
    union all
    select * from korean_shop_lines
),

latest_lines as (
    select shop_lines.*
    from shop_lines
    inner join latest_versions
        on
            shop_lines.order_id = latest_versions.order_id
            and shop_lines.ingest_file_seq = latest_versions.ingest_file_seq
),

final as (
    select
        *,
        row_number() over (partition by order_id order by source_record) as line_number
    from latest_lines
)

select
    {{ dbt.concat(["order_id", "'-'", dbt.cast("line_number", dbt.type_string())]) }}
        as order_line_id,
    order_id,
    line_number,
    {{ dbt.hash('lower(trim(product_name))') }} as product_key,
    product_name,
    product_sku,
    quantity,
    gross_amount,
    is_returned_or_cancelled
from final

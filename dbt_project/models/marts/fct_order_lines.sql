{{ config(
    materialized=history_materialization(),
    unique_key='order_id',
    incremental_strategy=history_incremental_strategy(),
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_order_customer_changes') }} (read by incremental builds only)
-- Every shop's order lines, from the export file each order's latest version came from, with
-- the order's discount, refunds and cancellations shared out to them (the model's description
-- says how), and the order's customer, date, status and currency (fct_orders).
-- Incremental by order: a run shares out anew the lines of the orders whose latest version came
-- from a file it loaded, and replaces all of their lines (a version always has a line in its own
-- file: the Shopify order row is one, Cafe24 and SmartStore versions are rolled up from their
-- items); an order an identity merge re-keyed keeps its lines, under the customer now its own.
-- One model, not a kept intermediate plus this mart: at 10M order lines, writing every line
-- once instead of twice took a first build's lines from 20.0 to 15.9 s.
{#- The orders this build shares out: those int_orders_deduplicated (re)computed, whose latest
    version is in a file the build loaded. Their lines are read from those files alone (DuckDB
    skips the other files' row groups). -#}
{%- set from_files_of_recomputed_orders -%}
    {%- if is_incremental() -%}
        where ingest_file_seq in (select ingest_file_seq from latest_versions)
    {%- endif -%}
{%- endset %}
{#- A product is known by its name, case and spaces aside. Hashed as the lines are read, while
    DuckDB still holds each file's names once (a dictionary): hashed after the windows, every
    line's name was hashed again (a first build at 10M lines: 2-2.5 s of its CPU). -#}
{%- set product_key = dbt.hash('lower(trim(product_name))') %}
{#- A line's own columns, as recomputed_lines names them. -#}
{%- set line_columns = [
    'order_line_id', 'order_id', 'line_number', 'product_key', 'product_name', 'product_sku',
    'quantity', 'gross_amount', 'discount_amount', 'refunded_or_cancelled_amount', 'net_amount',
    'is_returned_or_cancelled',
] %}
with

latest_versions as (
    select
        order_id,
        ingest_file_seq,
        discount_amount as order_discount_amount,
        {{ order_net_amount(
            order_status('cancelled_at', 'financial_status'),
            'merchandise_amount', 'discount_amount', 'refund_amount'
        ) }} as order_net_amount
    from {{ ref('int_orders_deduplicated') }}
    {%- if is_incremental() %}
        where {{ made_in_this_build() }}
    {%- endif %}
),

shopify_lines as (
    select
        order_id,
        ingest_file_seq,
        source_record,
        {{ product_key }} as product_key,
        product_name,
        product_sku,
        quantity,
        -- Shopify reports refunds per order, not per line.
        false as is_returned_or_cancelled,
        quantity * unit_price as gross_amount
    from {{ ref('stg_shopify__order_lines') }}
    {{ from_files_of_recomputed_orders }}
),

-- Cafe24 and SmartStore write one row per item with its own state (반품, 취소...).
korean_shop_lines as (
    {%- for items in ['stg_cafe24__order_items', 'stg_smartstore__product_orders'] %}
        select
            order_id,
            ingest_file_seq,
            source_record,
            {{ product_key }} as product_key,
            product_name,
            cast(null as {{ dbt.type_string() }}) as product_sku,
            quantity,
            item_amount as gross_amount,
            line_state in ('refunded', 'cancelled') as is_returned_or_cancelled
        from {{ ref(items) }}
        {{ from_files_of_recomputed_orders }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- Shopify reports refunds per order, so an order's Shopify lines are one group, whose running
-- amounts after discount follow from the first pass: allocated_share's rounded shares
-- telescope, so the discount's shares up to a line add up to its rounded running share there.
-- Shopify lines take one sort instead of two (this model alone at 10M lines: 18-22 s -> 14 s);
-- Cafe24 and SmartStore lines, which the shop marks returned or cancelled, take both passes.
{%- for shop in ['shopify', 'korean_shop'] %}

    {{ shop }}_latest_lines as (
        select
            {{ shop }}_lines.*,
            latest_versions.order_discount_amount,
            latest_versions.order_net_amount
        from {{ shop }}_lines
        inner join latest_versions
            on
                {{ shop }}_lines.order_id = latest_versions.order_id
                and {{ shop }}_lines.ingest_file_seq = latest_versions.ingest_file_seq
    ),

    -- A line's place in its order is its row in the file (one file holds all of an order's lines),
    -- so every window below orders by source_record: DuckDB sorts the lines once for the line
    -- numbers, the order's gross and the running gross (and once more for the second pass).
    {{ shop }}_running_amounts as (
        select
            *,
            row_number() over (
                partition by order_id order by source_record
            ) as line_number,
            sum(gross_amount) over (
                partition by order_id
                order by source_record
                rows between unbounded preceding and unbounded following
            ) as order_gross_amount,
            sum(gross_amount) over (
                partition by order_id
                order by source_record
                rows between unbounded preceding and current row
            ) as running_gross_amount
        from {{ shop }}_latest_lines
    ),

    -- The discount is shared by line gross; what the order did not keep (gross − discount − net)
    -- comes first off the lines the shop marked returned or cancelled, the rest off the other
    -- lines, each by line amount after discount; all in whole cents, so the lines of an order add
    -- up to fct_orders.net_amount exactly.
    {{ shop }}_discounted as (
        select
            *,
            {{ allocated_share(
                'order_discount_amount', 'gross_amount', 'running_gross_amount', 'order_gross_amount'
            ) }} as discount_amount,
            order_gross_amount - order_discount_amount - order_net_amount as order_not_kept_amount
        from {{ shop }}_running_amounts
    ),
{%- endfor %}

-- One group: its running and total amounts after discount are the gross's less the discount's
-- rounded running shares; all it did not keep comes off it.
shopify_not_kept as (
    select
        *,
        gross_amount - discount_amount as discounted_amount,
        running_gross_amount - coalesce({{ rounded_running_share(
            'order_discount_amount', 'running_gross_amount', 'order_gross_amount'
        ) }}, 0) as running_discounted_amount,
        order_gross_amount - coalesce({{ rounded_running_share(
            'order_discount_amount', 'order_gross_amount', 'order_gross_amount'
        ) }}, 0) as group_discounted_amount,
        order_not_kept_amount - least(order_not_kept_amount, 0) as group_not_kept_amount
    from shopify_discounted
),

-- Returned or cancelled lines and the others are shared out separately; both groups' running
-- and total amounts come from one ordering of the order's lines.
korean_shop_after_discount as (
    select
        *,
        gross_amount - discount_amount as discounted_amount,
        sum(case when is_returned_or_cancelled then gross_amount - discount_amount else 0 end)
            over (
                partition by order_id
                order by source_record
                rows between unbounded preceding and current row
            )
            as running_returned_discounted_amount,
        sum(case when is_returned_or_cancelled then 0 else gross_amount - discount_amount end)
            over (
                partition by order_id
                order by source_record
                rows between unbounded preceding and current row
            )
            as running_kept_discounted_amount,
        sum(case when is_returned_or_cancelled then gross_amount - discount_amount else 0 end)
            over (
                partition by order_id
                order by source_record
                rows between unbounded preceding and unbounded following
            )
            as returned_discounted_amount,
        sum(case when is_returned_or_cancelled then 0 else gross_amount - discount_amount end)
            over (
                partition by order_id
                order by source_record
                rows between unbounded preceding and unbounded following
            )
            as kept_discounted_amount
    from korean_shop_discounted
),

korean_shop_not_kept as (
    select
        *,
        case
            when is_returned_or_cancelled then running_returned_discounted_amount
            else running_kept_discounted_amount
        end as running_discounted_amount,
        case
            when is_returned_or_cancelled then returned_discounted_amount
            else kept_discounted_amount
        end as group_discounted_amount,
        case
            when is_returned_or_cancelled
                then least(order_not_kept_amount, returned_discounted_amount)
            else order_not_kept_amount - least(order_not_kept_amount, returned_discounted_amount)
        end as group_not_kept_amount
    from korean_shop_after_discount
),

not_kept as (
    {%- for shop in ['shopify', 'korean_shop'] %}
        select
            order_id,
            ingest_file_seq,
            line_number,
            product_key,
            product_name,
            product_sku,
            quantity,
            gross_amount,
            discount_amount,
            discounted_amount,
            is_returned_or_cancelled,
            running_discounted_amount,
            group_discounted_amount,
            group_not_kept_amount
        from {{ shop }}_not_kept
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

shares as (
    select
        *,
        {{ allocated_share(
            'group_not_kept_amount',
            'discounted_amount',
            'running_discounted_amount',
            'group_discounted_amount'
        ) }} as refunded_or_cancelled_amount
    from not_kept
),

-- The lines this build shared out.
recomputed_lines as (
    select
        {{ dbt.concat(["order_id", "'-'", dbt.cast("line_number", dbt.type_string())]) }}
            as order_line_id,
        order_id,
        line_number,
        product_key,
        product_name,
        product_sku,
        quantity,
        gross_amount,
        discount_amount,
        refunded_or_cancelled_amount,
        discounted_amount - refunded_or_cancelled_amount as net_amount,
        is_returned_or_cancelled
    from shares
),

{% if is_incremental() -%}
-- An order whose customer changed (an identity merge re-keys old orders) and that no loaded
-- file brought again: its lines as the last build left them.
re_keyed_lines as (
    select
        {%- for column in line_columns %}
            {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }}
    where
        order_id in (select order_id from {{ ref('int_order_customer_changes') }})
        and order_id not in (select order_id from recomputed_lines)
),

{% endif -%}
lines as (
    select * from recomputed_lines
    {%- if is_incremental() %}
        union all
        select * from re_keyed_lines
    {%- endif %}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        lines.*,
        orders.customer_id,
        orders.ordered_at,
        orders.ordered_date,
        orders.source,
        orders.status as order_status,
        orders.currency
    from lines
    inner join orders on lines.order_id = orders.order_id
)

select
    cast(order_line_id as {{ dbt.type_string() }}) as order_line_id,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(line_number as integer) as line_number,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(ordered_at as {{ type_timestamp_tz() }}) as ordered_at,
    cast(ordered_date as date) as ordered_date,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(order_status as {{ dbt.type_string() }}) as order_status,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(product_key as {{ dbt.type_string() }}) as product_key,
    cast(product_name as {{ dbt.type_string() }}) as product_name,
    cast(product_sku as {{ dbt.type_string() }}) as product_sku,
    cast(quantity as integer) as quantity,
    cast(gross_amount as decimal(18, 2)) as gross_amount,
    cast(discount_amount as decimal(18, 2)) as discount_amount,
    cast(refunded_or_cancelled_amount as decimal(18, 2)) as refunded_or_cancelled_amount,
    cast(net_amount as decimal(18, 2)) as net_amount,
    cast(is_returned_or_cancelled as boolean) as is_returned_or_cancelled
from final

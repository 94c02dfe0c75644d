with

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

categories as (
    select * from {{ ref('product_categories') }}
),

products as (
    select
        product_key,
        min(product_name) as product_name,
        max(product_sku) as product_sku,
        count(distinct source) as shops_count,
        min(case when order_status in ('paid', 'partially_refunded') then ordered_date end)
            as first_sold_date,
        sum(case when order_status in ('paid', 'partially_refunded') then quantity else 0 end)
            as units_sold,
        sum(net_amount) as net_revenue
    from order_lines
    group by product_key
),

-- The first keyword (lowest priority) found in the name decides the category.
matches as (
    select
        products.product_key,
        categories.product_category,
        categories.product_category_ko,
        row_number() over (
            partition by products.product_key order by categories.priority
        ) as match_rank
    from products
    inner join categories
        on
            {{ dbt.position('lower(categories.keyword)', 'lower(products.product_name)') }} > 0
),

final as (
    select
        products.*,
        coalesce(matches.product_category, 'other') as product_category,
        coalesce(matches.product_category_ko, '기타') as product_category_ko,
        {% if var('experience_categories') | length > 0 -%}
            coalesce(matches.product_category, 'other') in (
                {%- for category in var('experience_categories') %}
                    {{ dbt.string_literal(category) }}{{ ',' if not loop.last }}
                {%- endfor %}
            )
        {%- else -%}
            false
        {%- endif %} as is_experience_product
    from products
    left join matches
        on
            products.product_key = matches.product_key
            and matches.match_rank = 1
)

select
    cast(product_key as {{ dbt.type_string() }}) as product_key,
    cast(product_name as {{ dbt.type_string() }}) as product_name,
    cast(product_sku as {{ dbt.type_string() }}) as product_sku,
    cast(product_category as {{ dbt.type_string() }}) as product_category,
    cast(product_category_ko as {{ dbt.type_string() }}) as product_category_ko,
    cast(is_experience_product as boolean) as is_experience_product,
    cast(first_sold_date as date) as first_sold_date,
    cast(shops_count as integer) as shops_count,
    cast(units_sold as integer) as units_sold,
    cast(net_revenue as decimal(18, 2)) as net_revenue
from final

-- Who belongs in each segment, and why; contact points are added only on export.
{%- set segments = var('segments') %}
with

customers as (
    select customer_id from {{ ref('dim_customers') }}
),
{#- Marts customer_value/ writes after the first dbt step are sources here. #}
{% for mart in var('segment_marts') %}
    {%- if mart in var('segment_source_marts') %}
        {%- set relation = source('customer_value', mart) %}
    {%- else %}
        {%- set relation = ref(mart) %}
    {%- endif %}
    {{ mart }} as (
        select * from {{ relation }}
    ),
{% endfor %}
members as (
    {%- for segment in segments %}
    select
        {{ segment_literal(segment.name) }} as segment_name,
        {{ segment_literal(segment.channel) }} as channel,
        customers.customer_id,
        case
            {%- for block in segment.blocks %}
            when {{ segment_block(block) }} then {{ segment_reason(block) }}
            {%- endfor %}
        end as reason
    from customers
    {%- for mart in var('segment_marts') %}
    left join {{ mart }} on customers.customer_id = {{ mart }}.customer_id
    {%- endfor %}
    where
        {%- for block in segment.blocks %}
        {{ 'or ' if not loop.first }}{{ segment_block(block) }}
        {%- endfor %}
    union all
    {%- endfor %}
    -- No segment configured: an empty, well-typed table.
    select
        null as segment_name,
        null as channel,
        customer_id,
        null as reason
    from customers
    where false
)

select
    cast(segment_name as {{ dbt.type_string() }}) as segment_name,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(reason as {{ dbt.type_string() }}) as reason
from members

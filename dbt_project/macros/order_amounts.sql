{#- An order's status from the shop's: a cancellation wins over any payment state. -#}
{% macro order_status(cancelled_at, financial_status) -%}
    case
        when {{ cancelled_at }} is not null or {{ financial_status }} = 'voided' then 'cancelled'
        when {{ financial_status }} = 'refunded' then 'refunded'
        when {{ financial_status }} = 'partially_refunded' then 'partially_refunded'
        when {{ financial_status }} = 'paid' then 'paid'
        else 'pending'
    end
{%- endmacro %}

{#- Net revenue is money kept: nothing for cancelled or not-yet-paid orders, and a refund beyond
    the merchandise paid back shipping, which is not revenue either. fct_orders and the shares
    of its lines (fct_order_lines) take it from here, so they always agree. -#}
{% macro order_net_amount(status, merchandise_amount, discount_amount, refund_amount) -%}
    case
        when {{ status }} in ('paid', 'partially_refunded', 'refunded')
            then {{ merchandise_amount }} - {{ discount_amount }} - least(
                {{ refund_amount }}, {{ merchandise_amount }} - {{ discount_amount }}
            )
        else 0
    end
{%- endmacro %}

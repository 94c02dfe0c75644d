{#- A config text as a SQL string literal. -#}
{% macro text_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- The loyalty tier a net lifetime value falls in (loyalty.tiers, highest first). -#}
{% macro loyalty_tier(net_lifetime_value, field='name') -%}
    case
        {%- for tier in var('loyalty_tiers') %}
        when {{ net_lifetime_value }} >= {{ tier['min_net_lifetime_value'] }}
            then {{ text_literal(tier[field]) }}
        {%- endfor %}
    end
{%- endmacro %}

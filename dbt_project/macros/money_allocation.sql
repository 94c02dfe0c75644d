{#- A whole-cent share of `total` for one row, in proportion to `weight` among its group.
    Each row takes the rounded running share minus the rounded running share before it, so
    the shares add up to `total` exactly, none is negative, and none exceeds its weight when
    total <= total weight. A group whose weights are all 0 gets no share. -#}
{% macro allocated_share(total, weight, running_weight, total_weight) -%}
    coalesce(
        {{ rounded_running_share(total, running_weight, total_weight) }}
        - {{ rounded_running_share(
            total, '(' ~ running_weight ~ ' - ' ~ weight ~ ')', total_weight
        ) }},
        0
    )
{%- endmacro %}

{#- The rounded share of `total` for the rows up to one (running_weight of total_weight): what
    the rows' allocated_share add up to there (null when total_weight is 0). -#}
{% macro rounded_running_share(total, running_weight, total_weight) -%}
    cast(round(
        {{ divide(total ~ ' * ' ~ running_weight, 'nullif(' ~ total_weight ~ ', 0)') }}, 2
    ) as decimal(18, 2))
{%- endmacro %}

{#- A ratio for the funnel: null, not an error or infinity, when there is nothing to divide by. -#}
{% macro safe_divide(numerator, denominator) -%}
    {{ divide(numerator, 'nullif(' ~ denominator ~ ', 0)') }}
{%- endmacro %}

{#- numerator / denominator in floating point, as DuckDB divides decimals and integers; Spark
    would keep a decimal, rounded at its own scale. -#}
{% macro divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro duckdb__divide(numerator, denominator) -%}
    1.0 * {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro spark__divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / {{ denominator }}
{%- endmacro %}

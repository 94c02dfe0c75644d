{#- A config text as a SQL string literal. -#}
{% macro text_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- The loyalty tier a trailing net revenue falls in (loyalty.tiers, highest first). -#}
{% macro loyalty_tier(trailing_net_revenue, field='name') -%}
    case
        {%- for tier in var('loyalty_tiers') %}
        when {{ trailing_net_revenue }} >= {{ tier['min_trailing_net_revenue'] }}
            then {{ text_literal(tier[field]) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- A flywheel stage's Korean label: the glossary's (activation/glossary.yaml), given as a var. -#}
{% macro flywheel_stage_label(stage) -%}
    case {{ stage }}
        {%- for name, label in var('flywheel_stage_labels').items() %}
        when {{ text_literal(name) }} then {{ text_literal(label) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- An RFM score 1..rfm_score_bins: by fixed cut points when rfm.thresholds names the
    dimension, else by quantile rank (ties share a score). A higher value scores higher,
    except for recency, where fewer days is better. -#}
{% macro rfm_score(dimension, value_column, rank_column) -%}
    {%- set bins = var('rfm_score_bins') -%}
    {%- set cuts = var('rfm_thresholds').get(dimension) -%}
    {%- if cuts and dimension == 'recency_days' -%}
        {{ bins }}
        {%- for cut in cuts %} - case when {{ value_column }} > {{ cut }} then 1 else 0 end{% endfor %}
    {%- elif cuts -%}
        1
        {%- for cut in cuts %} + case when {{ value_column }} >= {{ cut }} then 1 else 0 end{% endfor %}
    {%- else -%}
        least({{ bins }}, 1 + floor({{ rank_column }} * {{ bins }}))
    {%- endif -%}
{%- endmacro %}

{#- A score on the 1..5 scale the rfm_segments grid is written in. -#}
{% macro rfm_grid_score(score_column) -%}
    cast(ceiling({{ score_column }} * 5.0 / {{ var('rfm_score_bins') }}) as integer)
{%- endmacro %}

{#- The brand's lapse window in whole days (loyalty.lapse_multiplier x
    expected_purchase_cycle_days): days apart are whole, so "within 67.5 days" is within 67. -#}
{% macro lapse_window_days() -%}
    {{ (var('lapse_multiplier') * var('expected_purchase_cycle_days')) | int }}
{%- endmacro %}

{#- True on a customer's first purchase day in the month `month` (the purchase day's month):
    its previous purchase day is in an earlier month, or there is none. Counting these days
    counts each month's buyers once, without grouping purchase days by customer. -#}
{% macro is_first_purchase_day_in_month(month) -%}
    coalesce(previous_purchase_date < {{ month }}, true)
{%- endmacro %}

{#- How many customers are active on the first or the last day (`counted_on`: 'month_start',
    'month_end') of each month in `months` (a CTE with kpi_month), as CTEs ending in `name`
    (kpi_month, active_customers). A purchase day keeps its customer active from `from_offset`
    days after it (1 at a month's start, so a purchase that day does not count; 0 at its end) to
    the end of the lapse window, read from `purchase_days` (customer_id, purchase_date,
    previous_purchase_date: fct_purchase_days). A span holds only the days past the previous
    purchase day's window, so one customer's spans never overlap and each covers a run of
    months once; a month's count is the runs begun by it less those ended before it. One pass
    over the purchase days: joining months to spans made a row per active customer per month
    (7.4M at 10M lines, most of a KPI mart's time). -#}
{% macro active_customers_by_month(purchase_days, months, counted_on, name) -%}
    {%- set window_days = lapse_window_days() | int -%}
    {%- set from_offset = 1 if counted_on == 'month_start' else 0 -%}
    {{ name }}_spans as (
        select
            cast(
                case
                    when
                        previous_purchase_date is null
                        or {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
                        > {{ window_days - from_offset }}
                        then {{ dbt.dateadd('day', from_offset, 'purchase_date') }}
                    else {{ dbt.dateadd('day', window_days + 1, 'previous_purchase_date') }}
                end as date
            ) as active_from,
            cast({{ dbt.dateadd('day', window_days, 'purchase_date') }} as date) as active_until
        from {{ purchase_days }}
    ),

    -- The first and the last month whose counted day falls in the span.
    {{ name }}_runs as (
        select
        {%- if counted_on == 'month_start' %}
            cast({{ dbt.dateadd(
                'month', 1, dbt.date_trunc('month', dbt.dateadd('day', -1, 'active_from'))
            ) }} as date) as first_month,
            cast({{ dbt.date_trunc('month', 'active_until') }} as date) as last_month
        {%- else %}
            cast({{ dbt.date_trunc('month', 'active_from') }} as date) as first_month,
            cast({{ dbt.dateadd(
                'month', -1, dbt.date_trunc('month', dbt.dateadd('day', 1, 'active_until'))
            ) }} as date) as last_month
        {%- endif %}
        from {{ name }}_spans
    ),

    -- Spans counted by their run of months (a few hundred runs), so each run's start and end
    -- are read from those counts, not from every span twice.
    {{ name }}_run_counts as (
        select
            first_month,
            last_month,
            count(*) as spans
        from {{ name }}_runs
        where first_month <= last_month
        group by first_month, last_month
    ),

    {{ name }}_changes as (
        select
            change_month,
            sum(change) as change
        from (
            select
                first_month as change_month,
                spans as change
            from {{ name }}_run_counts
            union all
            select
                cast({{ dbt.dateadd('month', 1, 'last_month') }} as date) as change_month,
                -spans as change
            from {{ name }}_run_counts
        ) as changes
        group by change_month
    ),

    {{ name }} as (
        select
            {{ months }}.kpi_month,
            sum({{ name }}_changes.change) as active_customers
        from {{ months }}
        inner join {{ name }}_changes
            on {{ name }}_changes.change_month <= cast({{ months }}.kpi_month as date)
        group by {{ months }}.kpi_month
    )
{%- endmacro %}

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

{#- The days a purchase day keeps its customer active, from `from_offset` days after it to the
    end of the lapse window, as spans (customer_id, active_from, active_until) read from
    `purchase_days` (customer_id, purchase_date, previous_purchase_date: fct_purchase_days). A
    span holds only the days past the previous purchase day's window, so one customer's spans
    never overlap: days joined to spans meet each active customer once, where joining days to
    purchase days needs a distinct over every pair (most of a KPI mart's time at 10M lines). -#}
{% macro lapse_window_spans(purchase_days, from_offset) -%}
    {%- set window_days = lapse_window_days() | int -%}
    select
        customer_id,
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
{%- endmacro %}

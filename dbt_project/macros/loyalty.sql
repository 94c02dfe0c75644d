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

{#- The day recency is measured from (rfm.as_of): the newest order, so re-runs agree, or the run's day. -#}
{% macro loyalty_as_of_date(ordered_date_column) -%}
    {%- if var('rfm_as_of') == 'run_date' -%}
        current_date
    {%- else -%}
        max({{ ordered_date_column }})
    {%- endif -%}
{%- endmacro %}

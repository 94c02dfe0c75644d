{#- The day recency is measured from (rfm.as_of): the newest order, so re-runs agree, the run's
    day, or a fixed ISO day, which reproduces a past state. Always an aggregate, so a CTE
    selecting it from the orders is one row. -#}
{% macro loyalty_as_of_date(ordered_date_column) -%}
    {%- set as_of = var('rfm_as_of') -%}
    {%- if as_of == 'run_date' -%}
        max(current_date)
    {%- elif as_of == 'latest_order' -%}
        max({{ ordered_date_column }})
    {%- elif modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of | string) -%}
        max(cast('{{ as_of }}' as date))
    {%- else -%}
        {{ exceptions.raise_compiler_error("rfm_as_of: latest_order, run_date or a YYYY-MM-DD day, got " ~ as_of) }}
    {%- endif -%}
{%- endmacro %}

{#- One row per configured number of days (a list var such as repeat_rate_windows_days), as
    `column`: the windows a KPI is measured over. -#}
{% macro day_windows(days, column) -%}
    {%- for day_count in days %}
    select {{ day_count }} as {{ column }}{{ ' union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The last day of the month that starts on month_start (a date). -#}
{% macro last_day_of_month(month_start) -%}
    {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_start)) }}
{%- endmacro %}

{#- Every day from start_date to end_date (date expressions, both included) as date_day, up to
    100,000 days, from crossed digit lists: portable, and unlike dbt.date_spine (which counts
    the days with a query at compile time) it works on the model's CTEs and unit-test rows. -#}
{% macro date_spine(start_date, end_date) -%}
    with

    digits as (
        {%- for digit in range(10) %}
            select {{ digit }} as digit{{ ' union all' if not loop.last }}
        {%- endfor %}
    ),

    day_numbers as (
        select
            ones.digit
            + 10 * tens.digit
            + 100 * hundreds.digit
            + 1000 * thousands.digit
            + 10000 * ten_thousands.digit as day_number
        from digits as ones
        cross join digits as tens
        cross join digits as hundreds
        cross join digits as thousands
        cross join digits as ten_thousands
    ),

    spine_bounds as (
        select
            {{ start_date }} as start_date,
            {{ end_date }} as end_date
    )

    select cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'spine_bounds.start_date') }} as date)
        as date_day
    from day_numbers
    cross join spine_bounds
    where day_numbers.day_number <= {{ dbt.datediff('spine_bounds.start_date', 'spine_bounds.end_date', 'day') }}
{%- endmacro %}

{#- ISO 8601 week of the year (weeks start on Monday; week 1 holds the first Thursday). -#}
{% macro iso_week(date_column) -%}
    {{ return(adapter.dispatch('iso_week')(date_column)) }}
{%- endmacro %}

{% macro default__iso_week(date_column) -%}
    extract(week from {{ date_column }})
{%- endmacro %}

{#- ISO day of the week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(date_column) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(date_column)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_column) -%}
    extract(isodow from {{ date_column }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_column) -%}
    extract(dayofweek_iso from {{ date_column }})
{%- endmacro %}

{#- The year an ISO week belongs to (2027-01-01 is in week 53 of 2026). -#}
{% macro iso_year(date_column) -%}
    {{ return(adapter.dispatch('iso_year')(date_column)) }}
{%- endmacro %}

{% macro duckdb__iso_year(date_column) -%}
    extract(isoyear from {{ date_column }})
{%- endmacro %}

{% macro spark__iso_year(date_column) -%}
    extract(yearofweek from {{ date_column }})
{%- endmacro %}

-- One row per day from the first to the last day any order, ad stat or SNS event falls on.
with

orders as (
    select * from {{ ref('fct_orders') }}
),

channel_stats as (
    select * from {{ ref('stg_sns__channel_daily_stats') }}
),

engagement as (
    select * from {{ ref('stg_sns__engagement_events') }}
),

activity_days as (
    select ordered_date as activity_date from orders
    union all
    select stats_date as activity_date from channel_stats
    union all
    select {{ local_date('occurred_at') }} as activity_date from engagement
),

spine as (
    {{ date_spine(
        '(select min(activity_date) from activity_days)',
        '(select max(activity_date) from activity_days)'
    ) }}
),

final as (
    select
        date_day,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week,
        extract(year from date_day) as calendar_year,
        extract(quarter from date_day) as calendar_quarter,
        extract(month from date_day) as calendar_month,
        extract(day from date_day) as day_of_month,
        {{ iso_year('date_day') }} as iso_year,
        {{ iso_week('date_day') }} as iso_week,
        {{ dbt.date_trunc('week', 'date_day') }} as week_start_date,
        {{ dbt.date_trunc('month', 'date_day') }} as month_start_date,
        {{ dbt.date_trunc('quarter', 'date_day') }} as quarter_start_date
    from spine
)

select
    cast(date_day as date) as date_day,
    cast(calendar_year as integer) as calendar_year,
    cast(calendar_quarter as integer) as calendar_quarter,
    cast(calendar_month as integer) as calendar_month,
    cast(day_of_month as integer) as day_of_month,
    cast(iso_year as integer) as iso_year,
    cast(iso_week as integer) as iso_week,
    cast(iso_day_of_week as integer) as iso_day_of_week,
    cast(
        case iso_day_of_week
            when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday'
            when 4 then 'Thursday' when 5 then 'Friday' when 6 then 'Saturday'
            else 'Sunday'
        end as {{ dbt.type_string() }}
    ) as weekday_name,
    cast(
        case iso_day_of_week
            when 1 then '월' when 2 then '화' when 3 then '수' when 4 then '목'
            when 5 then '금' when 6 then '토' else '일'
        end as {{ dbt.type_string() }}
    ) as weekday_name_ko,
    cast(iso_day_of_week >= 6 as boolean) as is_weekend,
    cast(week_start_date as date) as week_start_date,
    cast(month_start_date as date) as month_start_date,
    cast(quarter_start_date as date) as quarter_start_date
from final

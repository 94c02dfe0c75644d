-- Per customer who was ever messaged: how they answer campaigns, and what they did with the
-- latest one, so a segment can split responders from non-responders (clicked, did not buy).
with

responses as (
    select * from {{ ref('customer_campaign_response') }}
),

as_of as (
    select {{ loyalty_as_of_date('ordered_date') }} as as_of_date
    from {{ ref('fct_orders') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by messaged_at desc, campaign_id asc, channel asc
        ) as latest_first
    from responses
),

totals as (
    select
        customer_id,
        count(*) as campaigns_received,
        count(case when is_opened then 1 end) as campaigns_opened,
        count(case when is_clicked then 1 end) as campaigns_clicked,
        count(case when is_converted then 1 end) as campaigns_converted
    from responses
    group by customer_id
),

final as (
    select
        totals.*,
        latest.campaign_id as last_campaign_id,
        latest.channel as last_campaign_channel,
        {{ local_date('latest.messaged_at') }} as last_campaign_date,
        {{ dbt.datediff(local_date('latest.messaged_at'), 'as_of.as_of_date', 'day') }}
            as days_since_last_campaign,
        -- The first that applies: a purchase answers; an open window is no answer yet.
        case
            when latest.is_converted then 'bought'
            when latest.is_unsubscribed then 'unsubscribed'
            when latest.is_window_open then 'awaiting'
            when latest.is_clicked then 'clicked_no_purchase'
            when latest.is_opened then 'opened_no_click'
            else 'no_response'
        end as last_campaign_response
    from totals
    inner join ranked as latest
        on totals.customer_id = latest.customer_id and latest.latest_first = 1
    cross join as_of
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(campaigns_received as integer) as campaigns_received,
    cast(campaigns_opened as integer) as campaigns_opened,
    cast(campaigns_clicked as integer) as campaigns_clicked,
    cast(campaigns_converted as integer) as campaigns_converted,
    cast(last_campaign_id as {{ dbt.type_string() }}) as last_campaign_id,
    cast(last_campaign_channel as {{ dbt.type_string() }}) as last_campaign_channel,
    cast(last_campaign_date as date) as last_campaign_date,
    cast(days_since_last_campaign as integer) as days_since_last_campaign,
    cast(last_campaign_response as {{ dbt.type_string() }}) as last_campaign_response
from final

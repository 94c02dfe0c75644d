-- Frequency counts purchase days: two orders on one day are one purchase occasion.
with

purchase_days as (
    select * from {{ ref('fct_purchase_days') }}
),

segment_grid as (
    select * from {{ ref('rfm_segments') }}
),

as_of as (
    select {{ loyalty_as_of_date('purchase_date') }} as as_of_date
    from purchase_days
),

purchases as (
    select
        customer_id,
        max(purchase_date) as last_order_date,
        count(*) as frequency,
        sum(net_amount) as monetary
    from purchase_days
    group by customer_id
),

measured as (
    select
        purchases.customer_id,
        purchases.frequency,
        purchases.monetary,
        as_of.as_of_date,
        {{ dbt.datediff('purchases.last_order_date', 'as_of.as_of_date', 'day') }} as recency_days  -- noqa: LT05
    from purchases
    cross join as_of
),

-- Quantiles by rank: equal values share a score, so a re-run on the same data agrees.
ranked as (
    select
        *,
        percent_rank() over (order by recency_days desc) as recency_rank,
        percent_rank() over (order by frequency asc) as frequency_rank,
        percent_rank() over (order by monetary asc) as monetary_rank
    from measured
),

-- Scores 1..rfm.score_bins, by quantile or by the brand's fixed cut points.
scored as (
    select
        *,
        {{ rfm_score('recency_days', 'recency_days', 'recency_rank') }} as r_score,
        {{ rfm_score('frequency', 'frequency', 'frequency_rank') }} as f_score,
        {{ rfm_score('monetary', 'monetary', 'monetary_rank') }} as m_score
    from ranked
),

-- The segment grid is written on a 1..5 scale: other bin counts are rescaled to it.
final as (
    select
        scored.*,
        cast(floor((scored.f_score + scored.m_score) / 2) as integer) as fm_score,
        {{ rfm_grid_score('scored.r_score') }} as r_grid_score,
        {{ rfm_grid_score('floor((scored.f_score + scored.m_score) / 2)') }} as fm_grid_score
    from scored
)

select
    cast(final.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(final.recency_days as integer) as recency_days,
    cast(final.frequency as integer) as frequency,
    cast(final.monetary as decimal(18, 2)) as monetary,
    cast(final.r_score as integer) as r_score,
    cast(final.f_score as integer) as f_score,
    cast(final.m_score as integer) as m_score,
    cast(final.fm_score as integer) as fm_score,
    cast(segment_grid.rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
    cast(segment_grid.rfm_segment_ko as {{ dbt.type_string() }}) as rfm_segment_ko,
    cast(final.as_of_date as date) as as_of_date
from final
left join segment_grid
    on final.r_grid_score = segment_grid.r_score and final.fm_grid_score = segment_grid.fm_score

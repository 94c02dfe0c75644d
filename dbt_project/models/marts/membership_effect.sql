-- Does joining the membership (단골 풀) change what customers buy? Purchase days and net
-- revenue in a fixed horizon after joining, against comparable non-members over the same
-- horizon. Comparable: same first-purchase category (hence the same experience-or-not start),
-- followed from the same number of days after their own first purchase as the member had
-- when joining (a pseudo-join date), not a member at any time in that horizon, and observed
-- for all of it. Everyone is measured by the same rule: purchase days in
-- (tenure, tenure + horizon] days after the first purchase day.
with

purchase_days as (
    select * from {{ ref('fct_purchase_days') }}
),

first_purchases as (
    select * from {{ ref('customer_first_purchases') }}
),

loyalty as (
    select * from {{ ref('customer_loyalty') }}
),

as_of as (
    select
        {{ loyalty_as_of_date('purchase_date') }} as as_of_date,
        min(purchase_date) as history_start_date
    from purchase_days
),

horizons as (
    {{ day_windows(var('membership_effect_horizons_days'), 'horizon_days') }}
),

buyer_days as (
    select
        first_purchases.customer_id,
        first_purchases.first_product_category,
        first_purchases.first_product_category_ko,
        first_purchases.started_with_experience_product,
        {{ local_date('first_purchases.first_order_at') }} as first_purchase_date,
        {{ local_date('loyalty.joined_membership_at') }} as joined_date
    from first_purchases
    inner join loyalty on first_purchases.customer_id = loyalty.customer_id
),

buyers as (
    select
        buyer_days.customer_id,
        buyer_days.first_product_category,
        buyer_days.first_product_category_ko,
        case
            when buyer_days.started_with_experience_product then 'experience' else 'other'
        end as first_purchase_kind,
        {{ dbt.datediff('buyer_days.first_purchase_date', 'as_of.as_of_date', 'day') }}
            as days_observed,
        -- Days from the first purchase day to the join day; negative: joined before buying.
        {{ dbt.datediff('buyer_days.first_purchase_date', 'buyer_days.joined_date', 'day') }}
            as days_to_join
    from buyer_days
    cross join as_of
    -- A first purchase within a lapse window of the history's start may be a returning
    -- customer whose earlier purchases predate the exports: not comparable as new.
    where
        {{ dbt.datediff('as_of.history_start_date', 'buyer_days.first_purchase_date', 'day') }}
        > {{ var('lapse_multiplier') }} * {{ var('expected_purchase_cycle_days') }}
),

-- Members who joined on or after their first purchase day, observed for the whole horizon.
members as (
    select
        buyers.customer_id,
        buyers.first_product_category,
        buyers.first_product_category_ko,
        buyers.first_purchase_kind,
        horizons.horizon_days,
        buyers.days_to_join as tenure_days
    from buyers
    cross join horizons
    where
        buyers.days_to_join >= 0
        and buyers.days_observed >= buyers.days_to_join + horizons.horizon_days
),

tenures as (
    select distinct
        first_product_category,
        first_purchase_kind,
        horizon_days,
        tenure_days
    from members
),

-- For each tenure a member joined at: the buyers of the same first category who were no
-- member through (tenure, tenure + horizon] and were observed that long.
comparable_non_members as (
    select
        buyers.customer_id,
        tenures.first_product_category,
        tenures.first_purchase_kind,
        tenures.horizon_days,
        tenures.tenure_days
    from tenures
    inner join buyers
        on
            tenures.first_product_category = buyers.first_product_category
            and tenures.first_purchase_kind = buyers.first_purchase_kind
            and buyers.days_observed >= tenures.tenure_days + tenures.horizon_days
            and (
                buyers.days_to_join is null
                or buyers.days_to_join > tenures.tenure_days + tenures.horizon_days
            )
),

followed as (
    select
        customer_id,
        first_product_category,
        first_purchase_kind,
        horizon_days,
        tenure_days,
        true as is_member
    from members
    union all
    select
        customer_id,
        first_product_category,
        first_purchase_kind,
        horizon_days,
        tenure_days,
        false as is_member
    from comparable_non_members
),

outcomes as (
    select
        followed.customer_id,
        followed.first_product_category,
        followed.first_purchase_kind,
        followed.horizon_days,
        followed.tenure_days,
        followed.is_member,
        count(purchase_days.purchase_date) as horizon_purchase_days,
        coalesce(sum(purchase_days.net_amount), 0) as horizon_net_revenue
    from followed
    left join purchase_days
        on
            followed.customer_id = purchase_days.customer_id
            and followed.tenure_days < purchase_days.days_since_first_purchase
            and followed.tenure_days + followed.horizon_days
            >= purchase_days.days_since_first_purchase
    group by
        followed.customer_id,
        followed.first_product_category,
        followed.first_purchase_kind,
        followed.horizon_days,
        followed.tenure_days,
        followed.is_member
),

-- Per category, horizon and tenure: the members and the non-members' mean at that tenure.
by_tenure as (
    select
        first_product_category,
        first_purchase_kind,
        horizon_days,
        tenure_days,
        count(case when is_member then 1 end) as members,
        sum(case when is_member then horizon_purchase_days end) as member_purchase_days,
        sum(case when is_member then horizon_purchase_days * horizon_purchase_days end)
            as member_purchase_days_squared,
        sum(case when is_member then horizon_net_revenue end) as member_net_revenue,
        count(case when not is_member then 1 end) as non_members,
        avg(case when not is_member then horizon_purchase_days end) as non_member_purchase_days,
        var_samp(case when not is_member then horizon_purchase_days end)
            as non_member_purchase_days_variance,
        avg(case when not is_member then horizon_net_revenue end) as non_member_net_revenue
    from outcomes
    group by first_product_category, first_purchase_kind, horizon_days, tenure_days
),

-- A member counts only where someone comparable exists; non-members' means are weighted by
-- the members at each tenure, so both sides have the same mix of tenures.
matched as (
    select
        first_product_category,
        first_purchase_kind,
        horizon_days,
        tenure_days,
        members,
        member_purchase_days,
        member_purchase_days_squared,
        member_net_revenue,
        members * non_member_purchase_days as weighted_non_member_purchase_days,
        members * non_member_net_revenue as weighted_non_member_net_revenue,
        -- This tenure's share of the variance of the non-members' weighted mean (times N²).
        members * members * coalesce(non_member_purchase_days_variance, 0) / non_members
            as weighted_non_member_purchase_days_variance
    from by_tenure
    where members > 0 and non_member_purchase_days is not null
),

matched_non_members as (
    select distinct
        outcomes.customer_id,
        outcomes.first_product_category,
        outcomes.first_purchase_kind,
        outcomes.horizon_days
    from outcomes
    inner join matched
        on
            outcomes.first_product_category = matched.first_product_category
            and outcomes.first_purchase_kind = matched.first_purchase_kind
            and outcomes.horizon_days = matched.horizon_days
            and outcomes.tenure_days = matched.tenure_days
    where not outcomes.is_member
),

category_kinds as (
    select distinct
        first_product_category,
        first_purchase_kind
    from buyers
),

category_labels as (
    select distinct
        first_product_category,
        first_product_category_ko
    from buyers
),

-- Each category, then all categories by experience start, then everyone: the rollups sum
-- the categories' matched tenures (rates and means cannot be summed from the rows above).
groups as (
    select
        first_product_category,
        first_purchase_kind,
        first_product_category as group_category,
        first_purchase_kind as group_kind
    from category_kinds
    union all
    select
        first_product_category,
        first_purchase_kind,
        'all' as group_category,
        first_purchase_kind as group_kind
    from category_kinds
    union all
    select
        first_product_category,
        first_purchase_kind,
        'all' as group_category,
        'all' as group_kind
    from category_kinds
),

grouped as (
    select
        groups.group_category,
        groups.group_kind,
        matched.horizon_days,
        sum(matched.members) as members,
        sum(matched.member_purchase_days) as member_purchase_days,
        sum(matched.member_purchase_days_squared) as member_purchase_days_squared,
        sum(matched.member_net_revenue) as member_net_revenue,
        sum(matched.weighted_non_member_purchase_days_variance)
            as weighted_non_member_purchase_days_variance,
        sum(matched.weighted_non_member_purchase_days) as weighted_non_member_purchase_days,
        sum(matched.weighted_non_member_net_revenue) as weighted_non_member_net_revenue
    from matched
    inner join groups
        on
            matched.first_product_category = groups.first_product_category
            and matched.first_purchase_kind = groups.first_purchase_kind
    group by groups.group_category, groups.group_kind, matched.horizon_days
),

grouped_non_members as (
    select
        groups.group_category,
        groups.group_kind,
        matched_non_members.horizon_days,
        count(distinct matched_non_members.customer_id) as comparable_non_members
    from matched_non_members
    inner join groups
        on
            matched_non_members.first_product_category = groups.first_product_category
            and matched_non_members.first_purchase_kind = groups.first_purchase_kind
    group by groups.group_category, groups.group_kind, matched_non_members.horizon_days
),

final as (
    select
        grouped.horizon_days,
        grouped.group_category as first_product_category,
        coalesce(category_labels.first_product_category_ko, '전체') as first_product_category_ko,
        grouped.group_kind as first_purchase_kind,
        grouped.members,
        grouped_non_members.comparable_non_members,
        {{ divide('grouped.member_purchase_days', 'grouped.members') }}
            as member_purchase_days,
        {{ divide('grouped.weighted_non_member_purchase_days', 'grouped.members') }}
            as non_member_purchase_days,
        {{ divide('grouped.member_net_revenue', 'grouped.members') }} as member_net_revenue,
        {{ divide('grouped.weighted_non_member_net_revenue', 'grouped.members') }}
            as non_member_net_revenue,
        -- Approximate: the members' sample variance over N plus each tenure's non-member mean
        -- variance, weighted; a non-member compared at several tenures counts as independent.
        case
            when grouped.members > 1
                -- greatest(): rounding must not turn a zero variance into a tiny negative one.
                then sqrt(greatest(
                    0,
                    {{ divide(
                        '(grouped.member_purchase_days_squared - '
                        ~ divide(
                            'grouped.member_purchase_days * grouped.member_purchase_days',
                            'grouped.members'
                        ) ~ ')',
                        '((grouped.members - 1) * grouped.members)'
                    ) }}
                    + {{ divide(
                        'grouped.weighted_non_member_purchase_days_variance',
                        '(grouped.members * grouped.members)'
                    ) }}
                ))
        end as purchase_days_difference_standard_error
    from grouped
    inner join grouped_non_members
        on
            grouped.group_category = grouped_non_members.group_category
            and grouped.group_kind = grouped_non_members.group_kind
            and grouped.horizon_days = grouped_non_members.horizon_days
    left join category_labels on grouped.group_category = category_labels.first_product_category
)

select
    cast(horizon_days as integer) as horizon_days,
    cast(first_product_category as {{ dbt.type_string() }}) as first_product_category,
    cast(first_product_category_ko as {{ dbt.type_string() }}) as first_product_category_ko,
    cast(first_purchase_kind as {{ dbt.type_string() }}) as first_purchase_kind,
    cast(members as integer) as members,
    cast(comparable_non_members as integer) as comparable_non_members,
    cast(member_purchase_days as double) as member_purchase_days,
    cast(non_member_purchase_days as double) as non_member_purchase_days,
    cast(member_purchase_days - non_member_purchase_days as double) as purchase_days_difference,
    cast(round(purchase_days_difference_standard_error, 6) as double)
        as purchase_days_difference_standard_error,
    cast({{ safe_divide('member_purchase_days', 'non_member_purchase_days') }} as double)
        as purchase_days_ratio,
    cast(member_net_revenue as decimal(18, 2)) as member_net_revenue,
    cast(non_member_net_revenue as decimal(18, 2)) as non_member_net_revenue,
    cast(member_net_revenue - non_member_net_revenue as decimal(18, 2)) as net_revenue_difference
from final

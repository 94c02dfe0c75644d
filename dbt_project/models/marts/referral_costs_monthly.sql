-- What the referral programme costs per customer it brings: rewards paid for the month's
-- referrals against the referred friends who then bought (each friend counted once, in the
-- month of their first referral).
with

referrals as (
    select distinct
        referrer_handle,
        referred_handle,
        referral_code,
        referred_at,
        order_name,
        reward_amount
    from {{ ref('stg_sns__referrals') }}
),

identities as (
    select * from {{ ref('int_customer_identities') }}
    where identifier_type = 'sns_handle'
),

purchases as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

-- The friend is known by their handle, or by the order the referral names.
dated as (
    select
        referrals.*,
        coalesce(identities.customer_id, referred_orders.customer_id) as referred_customer_id,
        cast({{ dbt.date_trunc('month', local_date('referrals.referred_at')) }} as date)
            as referral_month
    from referrals
    left join identities on referrals.referred_handle = identities.identifier_value
    left join {{ ref('fct_orders') }} as referred_orders
        on referrals.order_name = referred_orders.order_name
),

first_referrals as (
    select
        referred_customer_id,
        min(referred_at) as first_referred_at
    from dated
    where referred_customer_id is not null
    group by referred_customer_id
),

first_purchases as (
    select
        customer_id,
        min(ordered_at) as first_purchased_at
    from purchases
    group by customer_id
),

-- A friend whose first purchase came after being referred; a customer before was not won.
won_customers as (
    select
        first_referrals.referred_customer_id,
        cast({{ dbt.date_trunc('month', local_date('first_referrals.first_referred_at')) }} as date)
            as referral_month
    from first_referrals
    inner join first_purchases
        on
            first_referrals.referred_customer_id = first_purchases.customer_id
            and first_referrals.first_referred_at <= first_purchases.first_purchased_at
),

monthly_referrals as (
    select
        referral_month,
        count(*) as referrals,
        coalesce(sum(reward_amount), 0) as rewards_amount
    from dated
    group by referral_month
),

monthly_won as (
    select
        referral_month,
        count(*) as referred_customers
    from won_customers
    group by referral_month
),

final as (
    select
        monthly_referrals.referral_month,
        monthly_referrals.referrals,
        monthly_referrals.rewards_amount,
        coalesce(monthly_won.referred_customers, 0) as referred_customers,
        {{ safe_divide('monthly_referrals.rewards_amount', 'monthly_won.referred_customers') }}
            as cost_per_referred_customer
    from monthly_referrals
    left join monthly_won on monthly_referrals.referral_month = monthly_won.referral_month
)

select
    cast(referral_month as date) as referral_month,
    cast(referrals as bigint) as referrals,
    cast(rewards_amount as decimal(18, 2)) as rewards_amount,
    cast('{{ var("default_currency") }}' as {{ dbt.type_string() }}) as currency,
    cast(referred_customers as bigint) as referred_customers,
    cast(cost_per_referred_customer as decimal(18, 2)) as cost_per_referred_customer
from final

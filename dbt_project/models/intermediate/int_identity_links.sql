-- Every link between two identifiers of one person, with the record and rule that made it.
-- Records sharing a normalised email or phone meet at that identifier; the links say which
-- record put which identifiers together.
with

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
),

shop_customers as (
    select * from {{ ref('stg_shopify__customers') }}
),

crm_contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

membership_events as (
    select * from {{ ref('stg_crm__membership_events') }}
),

-- One row per identifier a record carries; every record carries its own key.
order_identifiers as (
    {{ record_identifiers('orders', 'order', 'order_id', [
        ('order_id', 'order_id'),
        ('email', 'customer_email'),
        ('phone', 'customer_phone'),
        ('shop_account', 'customer_account'),
    ]) }}
),

other_identifiers as (
    {{ record_identifiers(
        'shop_customers', 'shop_customer', "source_file || ':' || source_record", [
        ('shop_account', "'shopify-customer-' || shopify_customer_id"),
        ('email', 'customer_email'),
        ('phone', 'customer_phone'),
    ]) }}
    union all
    {{ record_identifiers(
        'crm_contacts', 'crm_contact', "contact_id || '@' || ingest_file_seq", [
        ('crm_contact_id', 'contact_id'),
        ('email', 'customer_email'),
        ('phone', 'customer_phone'),
        ('sns_handle', 'instagram_handle'),
    ]) }}
    union all
    {{ record_identifiers(
        'membership_events', 'membership', "source_file || ':' || source_record", [
        ('member_id', 'member_id'),
        ('crm_contact_id', 'contact_id'),
        ('email', 'customer_email'),
        ('phone', 'customer_phone'),
        ('sns_handle', 'handle'),
    ]) }}
),

-- An order is one row (order_id is unique in int_orders_deduplicated), so its identifiers are
-- distinct already; only the other records can repeat (a contact twice in one file).
present as (
    select * from order_identifiers
    where identifier_value is not null
    union all
    select distinct * from other_identifiers
    where identifier_value is not null
),

-- A contact point seen with many different emails and phones is a shared one (a shop's
-- placeholder for guest checkouts, a family phone): it must not join their owners.
spread as (
    select
        contact_point.identifier_type,
        contact_point.identifier_value,
        count(distinct other_point.identifier_type || ':' || other_point.identifier_value)
            as other_contact_points
    from present as contact_point
    inner join present as other_point
        on
            contact_point.source_model = other_point.source_model
            and contact_point.source_record = other_point.source_record
            and other_point.identifier_type in ('email', 'phone')
            and (
                contact_point.identifier_type <> other_point.identifier_type
                or contact_point.identifier_value <> other_point.identifier_value
            )
    where contact_point.identifier_type in ('email', 'phone', 'sns_handle')
    group by contact_point.identifier_type, contact_point.identifier_value
),

flagged as (
    select
        present.*,
        coalesce(
            spread.other_contact_points > {{ var('max_contact_points_per_identifier') }}, false
        ) as is_shared
    from present
    left join spread
        on
            present.identifier_type = spread.identifier_type
            and present.identifier_value = spread.identifier_value
),

-- Each record links its identifiers to its best one, never to a shared one.
ranked as (
    select
        *,
        row_number() over (
            partition by source_model, source_record
            order by is_shared, {{ identifier_rank('identifier_type') }}, identifier_value
        ) as rank_in_record,
        sum(case when is_shared then 0 else 1 end) over (
            partition by source_model, source_record
        ) as usable_in_record
    from flagged
),

links as (
    select
        anchor.identifier_type as left_identifier_type,
        anchor.identifier_value as left_identifier_value,
        other.identifier_type as right_identifier_type,
        other.identifier_value as right_identifier_value,
        anchor.source_model,
        anchor.source_record,
        not other.is_shared as is_used,
        case
            when other.rank_in_record = 1 then 'sole_identifier'
            when other.identifier_type = 'sns_handle' then 'handle_on_' || anchor.record_kind
            else 'same_' || anchor.record_kind
        end as link_rule
    from ranked as anchor
    inner join ranked as other
        on
            anchor.source_model = other.source_model
            and anchor.source_record = other.source_record
            -- A record with one usable identifier links it to itself, so it is still a node.
            and (other.rank_in_record > 1 or anchor.usable_in_record = 1)
    where anchor.rank_in_record = 1
)

-- The link to an order id comes from that order alone: at 10M lines most links, none to fold.
{%- set link = [
    'left_identifier_type', 'left_identifier_value', 'right_identifier_type',
    'right_identifier_value', 'link_rule', 'is_used',
] | join(', ') %}
select
    {{ link }},
    min(source_model) as source_model,
    min(source_record) as source_record,
    count(*) as records_count
from links
where right_identifier_type <> 'order_id'
group by {{ link }}
union all
select
    {{ link }},
    source_model,
    source_record,
    cast(1 as bigint) as records_count
from links
where right_identifier_type = 'order_id'

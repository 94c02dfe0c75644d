{%- set link_columns = [
    'left_identifier_type', 'left_identifier_value', 'right_identifier_type',
    'right_identifier_value', 'link_rule', 'is_used',
] %}
{{ config(
    materialized=recomputed_table_materialization(),
    incremental_strategy='changed_keys',
    unique_key=link_columns,
    on_schema_change='fail',
    changed_keys_scope="right_identifier_type <> 'order_id' or right_identifier_value in ("
        ~ "select right_identifier_value from {computed} where right_identifier_type = 'order_id')",
    changed_keys_ignore=['dbt_invocation_id'],
    changed_keys_keep_removed=true,
    post_hook="{{ removed_rows_table() }}",
) }}
-- Every link between two identifiers of one person, with the record and rule that made it.
-- Records sharing a normalised email or phone meet at that identifier; the links say which
-- record put which identifiers together.
-- Each order's link to its own id (one row per order, most of the rows) depends on nothing but
-- the order and whether its email and phone are shared: a build after the first recomputes it
-- for the orders this build wrote and those whose email or phone became shared or stopped
-- being shared, and keeps the others (changed_keys_scope; at 10M order lines a daily build
-- computed and compared 3.3M of them). The other links are computed whole.
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

-- One row per identifier a record carries; every record carries its own key. Orders, nearly
-- every record, are linked apart (order_links): an order is one row with known columns, whose
-- best identifier is a case expression, not a window over one row per identifier of every
-- order (10M order lines: the model took 7.6-8.5 s alone, now 1.3 s).
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

-- Other records can repeat (a contact twice in one file).
present as (
    select distinct * from other_identifiers
    where identifier_value is not null
),

-- A contact point seen with many different emails and phones is a shared one (a shop's
-- placeholder for guest checkouts, a family phone): it must not join their owners. Each
-- contact point of a record sees the record's other emails and phones.
seen_together as (
    select
        'email' as identifier_type,
        customer_email as identifier_value,
        'phone:' || customer_phone as other_contact_point
    from orders
    where customer_email is not null and customer_phone is not null
    union all
    select
        'phone' as identifier_type,
        customer_phone as identifier_value,
        'email:' || customer_email as other_contact_point
    from orders
    where customer_email is not null and customer_phone is not null
    union all
    select
        contact_point.identifier_type,
        contact_point.identifier_value,
        other_point.identifier_type || ':' || other_point.identifier_value
            as other_contact_point
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
),

shared as (
    select
        identifier_type,
        identifier_value
    from seen_together
    group by identifier_type, identifier_value
    having count(distinct other_contact_point) > {{ var('max_contact_points_per_identifier') }}
),

flagged as (
    select
        present.*,
        shared.identifier_value is not null as is_shared
    from present
    left join shared
        on
            present.identifier_type = shared.identifier_type
            and present.identifier_value = shared.identifier_value
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

other_links as (
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
),

-- The orders whose link to their own id this build computes: all of them in a first build;
-- after it, those this build wrote and those with an email or phone whose sharing changed. The
-- identifiers shared before are those the kept links do not use: an order with a shared email
-- or phone links it with is_used = false (it is never the order's anchor).
{%- if is_incremental() %}
previously_shared as (
    select distinct
        right_identifier_type as identifier_type,
        right_identifier_value as identifier_value
    from {{ this }}
    where not is_used
),

sharing_changed as (
    (select * from shared except select * from previously_shared)
    union
    (select * from previously_shared except select * from shared)
),

own_id_orders as (
    select * from orders
    where
        {{ made_in_this_build() }}
        or customer_email in (
            select identifier_value from sharing_changed where identifier_type = 'email'
        )
        or customer_phone in (
            select identifier_value from sharing_changed where identifier_type = 'phone'
        )
),
{%- endif %}

-- An order's best identifier by the same rule: its email, phone or shop account unless shared
-- (the order id is never shared, so an order always has a usable one), else its order id.
-- Worked out for every order (their links to their email, phone and account are folded with
-- the other records' links) and for the orders whose link to their own id is computed.
order_anchors as (
    {{ order_anchors('orders', 'shared') }}
),

{% if is_incremental() -%}
own_id_anchors as (
    {{ order_anchors('own_id_orders', 'shared') }}
),

{% endif -%}

-- The anchor links each other identifier of the order; an order whose only usable identifier
-- is its id links it to itself.
order_links as (
    {%- for identifier_type, column, is_used in [
        ('email', 'customer_email', 'not is_email_shared'),
        ('phone', 'customer_phone', 'not is_phone_shared'),
        ('shop_account', 'customer_account', 'true'),
    ] %}
        select
            anchor_type as left_identifier_type,
            anchor_value as left_identifier_value,
            '{{ identifier_type }}' as right_identifier_type,
            {{ column }} as right_identifier_value,
            'orders' as source_model,
            order_id as source_record,
            {{ is_used }} as is_used,
            'same_order' as link_rule
        from order_anchors
        where {{ column }} is not null and anchor_type <> '{{ identifier_type }}'
        union all
    {%- endfor %}
    select
        anchor_type as left_identifier_type,
        anchor_value as left_identifier_value,
        'order_id' as right_identifier_type,
        order_id as right_identifier_value,
        'orders' as source_model,
        order_id as source_record,
        true as is_used,
        case when anchor_type = 'order_id' then 'sole_identifier' else 'same_order' end
            as link_rule
    from {{ 'own_id_anchors' if is_incremental() else 'order_anchors' }}
),

links as (
    select * from order_links
    union all
    select * from other_links
)

-- The link to an order id comes from that order alone: at 10M lines most links, none to fold.
-- A link is known by its columns (link_columns), once: the others are folded by group by.
{%- set link = link_columns | join(', ') %}
select
    {{ link }},
    min(source_model) as source_model,
    min(source_record) as source_record,
    count(*) as records_count,
    -- Kept from the build that wrote the link (changed_keys_ignore): int_customer_identities
    -- takes up the orders whose link this build wrote.
    {{ this_build_marker() }}
from links
where right_identifier_type <> 'order_id'
group by {{ link }}
union all
select
    {{ link }},
    source_model,
    source_record,
    cast(1 as bigint) as records_count,
    {{ this_build_marker() }}
from links
where right_identifier_type = 'order_id'

-- sqlfluff:ignore:parsing
-- (its duckdb dialect does not know USING KEY, which duckdb__component_labels uses)
{%- set is_order_row = "identifier_type = 'order_id' and anchor_identifier_type <> 'order_id'" %}
{{ config(
    materialized=recomputed_table_materialization(),
    incremental_strategy='changed_keys',
    unique_key=['identifier_type', 'identifier_value'],
    on_schema_change='fail',
    changed_keys_scope="not (" ~ is_order_row ~ ") or identifier_value in ("
        ~ "select identifier_value from {computed} where identifier_type = 'order_id')",
    changed_keys_ignore=['dbt_invocation_id'],
) }}
-- Every identifier of a person mapped to one customer_id: the connected components of the
-- identity links (A~B and B~C make A, B and C one customer).
-- The components are found whole every build. An order that hangs off its anchor (most rows:
-- the rows whose identifier is an order id and whose anchor is not) takes its anchor's
-- customer; a build after the first works that out again only for the orders whose link this
-- build wrote and those whose anchor's customer or anchor changed, and keeps the others
-- (changed_keys_scope).
with recursive

links as (
    select * from {{ ref('int_identity_links') }}
    where is_used
),

-- Orders only receive a label: an order is one record, hanging off that record's anchor, so it
-- never bridges two people. The components are found among the other identifiers (at 10M order
-- lines, a tenth of the nodes) and each order then takes its anchor's customer.
order_links as (
    select * from links
    where right_identifier_type = 'order_id' and left_identifier_type <> 'order_id'
),

-- Everything else, including an order that is its own anchor (it has no usable contact point).
graph_links as (
    select * from links
    where right_identifier_type <> 'order_id' or left_identifier_type = 'order_id'
),

-- A node's key sorts by the anchor rule (email before phone..., then the smallest value),
-- so the smallest key reachable from a node is its customer's anchor.
keyed_links as (
    select
        {{ identity_node('left_identifier_type', 'left_identifier_value') }} as left_node,
        {{ identity_node('right_identifier_type', 'right_identifier_value') }} as right_node
    from graph_links
),

order_anchors as (
    select distinct
        left_identifier_type,
        left_identifier_value
    from order_links
),

-- An order's anchor is a node even when the order is its only link.
nodes as (
    select left_node as node from keyed_links
    union
    select right_node as node from keyed_links
    union
    select {{ identity_node('left_identifier_type', 'left_identifier_value') }} as node
    from order_anchors
),

edges as (
    select
        left_node as from_node,
        right_node as to_node
    from keyed_links
    where left_node <> right_node
    union
    select
        right_node as from_node,
        left_node as to_node
    from keyed_links
    where left_node <> right_node
),

{{ component_labels('nodes', 'edges') }},

components as (
    select
        node,
        label as anchor
    from recursive_labels
),

split as (
    select
        split_part(node, '|', 2) as identifier_type,
        substr(node, length(split_part(node, '|', 1) || split_part(node, '|', 2)) + 3)
            as identifier_value,
        split_part(anchor, '|', 2) as anchor_identifier_type,
        substr(anchor, length(split_part(anchor, '|', 1) || split_part(anchor, '|', 2)) + 3)
            as anchor_identifier_value
    from components
),

identities as (
    select
        identifier_type,
        identifier_value,
        anchor_identifier_type,
        anchor_identifier_value,
        {{ anchor_customer_key('anchor_identifier_type', 'anchor_identifier_value') }}
            as customer_id
    from split
),

{%- if is_incremental() %}

-- The identifiers whose customer or anchor this build changed or found for the first time.
identities_changed as (
    select
        identifier_type,
        identifier_value
    from (
        select * from identities
        except
        select
            identifier_type,
            identifier_value,
            anchor_identifier_type,
            anchor_identifier_value,
            customer_id
        from {{ this }}
        where not ({{ is_order_row }})
    ) as changed
),

recomputed_order_links as (
    select * from order_links
    where
        {{ made_in_this_build() }}
        or exists (
            select 1 from identities_changed
            where
                identities_changed.identifier_type = order_links.left_identifier_type
                and identities_changed.identifier_value = order_links.left_identifier_value
        )
),
{%- endif %}

order_identities as (
    select
        order_links.right_identifier_type as identifier_type,
        order_links.right_identifier_value as identifier_value,
        identities.anchor_identifier_type,
        identities.anchor_identifier_value,
        identities.customer_id
    from {{ 'recomputed_order_links' if is_incremental() else 'order_links' }} as order_links
    inner join identities
        on
            order_links.left_identifier_type = identities.identifier_type
            and order_links.left_identifier_value = identities.identifier_value
)

-- Kept from the build that wrote the row (changed_keys_ignore): int_order_customer_changes
-- looks at the orders whose customer this build wrote.
select
    *,
    {{ this_build_marker() }}
from identities
union all
select
    *,
    {{ this_build_marker() }}
from order_identities

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
-- A build after the first finds again only the components that a link it wrote or removed
-- touches (int_identity_links keeps the keys of the links a build removed, changed_keys), and
-- keeps every other identifier's row: a component no changed link touches has the same links,
-- so the same anchor. At 10M order lines a daily build found every component of 333k people
-- again (0.9 s alone, on the path every later model waits for). An order that hangs off its
-- anchor (most rows: the rows whose identifier is an order id and whose anchor is not) takes
-- its anchor's customer; a build after the first works that out again only for the orders
-- whose link this build wrote and those whose anchor's customer or anchor changed, and keeps
-- the others (changed_keys_scope).
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

{%- if is_incremental() %}

-- The links this build wrote or removed (is_used flipped: both), and the graph's identifiers
-- they touch: both ends, but an order that hangs off its anchor, which is no node of the graph.
changed_links as (
    select
        left_identifier_type,
        left_identifier_value,
        right_identifier_type,
        right_identifier_value
    from {{ ref('int_identity_links') }}
    where {{ made_in_this_build() }}
    union all
    select
        left_identifier_type,
        left_identifier_value,
        right_identifier_type,
        right_identifier_value
    from {{ removed_rows_relation(ref('int_identity_links')) }}
    where {{ made_in_this_build() }}
),

touched_identifiers as (
    select
        left_identifier_type as identifier_type,
        left_identifier_value as identifier_value
    from changed_links
    union
    select
        right_identifier_type as identifier_type,
        right_identifier_value as identifier_value
    from changed_links
    where right_identifier_type <> 'order_id' or left_identifier_type = 'order_id'
),

kept_identities as (
    select
        identifier_type,
        identifier_value,
        anchor_identifier_type,
        anchor_identifier_value,
        customer_id
    from {{ this }}
    where not ({{ is_order_row }})
),

-- The components the touched identifiers were in (each named by its anchor).
touched_anchors as (
    select distinct
        kept_identities.anchor_identifier_type,
        kept_identities.anchor_identifier_value
    from kept_identities
    inner join touched_identifiers
        on
            kept_identities.identifier_type = touched_identifiers.identifier_type
            and kept_identities.identifier_value = touched_identifiers.identifier_value
),

-- Each kept identifier, and whether its component is found again.
kept_components as (
    select
        kept_identities.*,
        touched_anchors.anchor_identifier_type is not null as is_regrouped
    from kept_identities
    left join touched_anchors
        on
            kept_identities.anchor_identifier_type = touched_anchors.anchor_identifier_type
            and kept_identities.anchor_identifier_value = touched_anchors.anchor_identifier_value
),

untouched_identities as (
    select
        identifier_type,
        identifier_value,
        anchor_identifier_type,
        anchor_identifier_value,
        customer_id
    from kept_components
    where not is_regrouped
),

-- Every identifier of those components, and the touched ones new to the graph. A link of the
-- graph has both ends here or neither: a link this build did not change joined two
-- identifiers of one component last build.
regrouped_identifiers as (
    select
        identifier_type,
        identifier_value
    from kept_components
    where is_regrouped
    union
    select
        identifier_type,
        identifier_value
    from touched_identifiers
),
{%- endif %}

-- The links whose components this build finds: all of them, or after the first build those of
-- the regrouped identifiers.
found_links as (
    select graph_links.*
    from graph_links
    {%- if is_incremental() %}
        inner join regrouped_identifiers
            on
                graph_links.left_identifier_type = regrouped_identifiers.identifier_type
                and graph_links.left_identifier_value = regrouped_identifiers.identifier_value
    {%- endif %}
),

-- A node's key sorts by the anchor rule (email before phone..., then the smallest value),
-- so the smallest key reachable from a node is its customer's anchor.
keyed_links as (
    select
        {{ identity_node('left_identifier_type', 'left_identifier_value') }} as left_node,
        {{ identity_node('right_identifier_type', 'right_identifier_value') }} as right_node
    from found_links
),

order_anchors as (
    select distinct
        order_links.left_identifier_type,
        order_links.left_identifier_value
    from order_links
    {%- if is_incremental() %}
        inner join regrouped_identifiers
            on
                order_links.left_identifier_type = regrouped_identifiers.identifier_type
                and order_links.left_identifier_value = regrouped_identifiers.identifier_value
    {%- endif %}
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

found_identities as (
    select
        identifier_type,
        identifier_value,
        anchor_identifier_type,
        anchor_identifier_value,
        {{ anchor_customer_key('anchor_identifier_type', 'anchor_identifier_value') }}
            as customer_id
    from split
),

identities as (
    select * from found_identities
    {%- if is_incremental() %}
        union all
        select * from untouched_identities
    {%- endif %}
),

{%- if is_incremental() %}

-- The identifiers whose customer or anchor this build changed or found for the first time.
identities_changed as (
    select
        identifier_type,
        identifier_value
    from (
        select * from found_identities
        except
        select * from kept_identities
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

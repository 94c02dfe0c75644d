-- sqlfluff:ignore:parsing
-- (its duckdb dialect does not know USING KEY, which duckdb__component_labels uses)
-- Every identifier of a person mapped to one customer_id: the connected components of the
-- identity links (A~B and B~C make A, B and C one customer).
with recursive

links as (
    select * from {{ ref('int_identity_links') }}
    where is_used
),

-- A node's key sorts by the anchor rule (email before phone..., then the smallest value),
-- so the smallest key reachable from a node is its customer's anchor.
keyed_links as (
    select
        {{ identifier_rank('left_identifier_type') }} || '|' || left_identifier_type
        || '|' || left_identifier_value as left_node,
        {{ identifier_rank('right_identifier_type') }} || '|' || right_identifier_type
        || '|' || right_identifier_value as right_node,
        right_identifier_type
    from links
),

nodes as (
    select left_node as node from keyed_links
    union
    select right_node as node from keyed_links
),

-- Orders only receive a label: they hang off one contact point and never bridge two.
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
    where left_node <> right_node and right_identifier_type <> 'order_id'
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
)

select
    identifier_type,
    identifier_value,
    anchor_identifier_type,
    anchor_identifier_value,
    {{ anchor_customer_key('anchor_identifier_type', 'anchor_identifier_value') }} as customer_id
from split

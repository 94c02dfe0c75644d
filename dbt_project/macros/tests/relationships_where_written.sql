{#- dbt's relationships test for a model kept from build to build, on the rows this build
    wrote: a kept row passed the build that wrote it, and its parent stays (the parents are kept
    by key too, never deleted). `written_in` names the model whose marked rows (this_build_marker)
    give the keys written, as in unique_where_written: fct_order_lines carries no marker and
    writes the lines of the orders int_orders_deduplicated wrote (10M order lines: each daily
    build probed all of them against fct_orders, 2.5 s). A full refresh, a build that wrote no
    rows, and `dbt test` on its own test every row (keys_written_in_this_build). -#}
{% test relationships_where_written(model, column_name, to, field, written_in) %}
    with

    child as (
        {{ keys_written_in_this_build(model, column_name, written_in) }}
    ),

    parent as (
        select {{ field }} as to_field
        from {{ to }}
    )

    select child.tested_key as from_field
    from child
    left join parent on child.tested_key = parent.to_field
    where parent.to_field is null
{% endtest %}

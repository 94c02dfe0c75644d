{#- A model's column rules in one test: the columns that must never be null, its unique keys (a
    column, or columns that together are unique) and the values a column may hold. dbt's own
    not_null, unique and accepted_values are a node per column, each with its own compile, query
    and log entry (~0.07 s of dbt's time even on a tiny build: 127 tests were 40% of a build's
    time on the fixtures); here the null and value counts share one scan and each key its own.
    A failing row names the rule, the column (or key) and how many rows break it; never a value
    of the row, so it can go into alerts and `dangol status`. The rules mean what dbt's mean: a
    single-column key ignores nulls (dbt's unique), a key of several columns counts them
    (unique_combination_of_columns); a null is never an unexpected value (accepted_values).
    `where_written`: the model marks the rows a build writes (this_build_marker) and keeps the
    others as they were, so a build checks the rows it wrote, and each key it wrote against the
    whole table (a kept row passed the test of the build that wrote it; only a written row can
    break a rule or collide with another). At 10M order lines int_customer_identities' rules
    took 0.3 s of every daily build's critical path grouping 3.7M keys. A full refresh, a build
    that wrote no rows, and `dbt test` on its own check every row, as unique_where_written does. -#}
{% test column_rules(
    model, not_null=[], unique=[], accepted_values={}, quote_values=true, where_written=false
) %}
    {%- set counted = [] -%}
    {%- for column in not_null -%}
        {%- do counted.append(("not_null", column, "count(*) - count(" ~ column ~ ")")) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set listed = [] -%}
        {%- for value in values -%}
            {%- set text = value | string -%}
            {%- set quoted = "'" ~ text | replace("'", "''") ~ "'" -%}
            {%- do listed.append(quoted if quote_values else text) -%}
        {%- endfor -%}
        {%- do counted.append(
            ("accepted_values", column,
             "count(case when " ~ column ~ " not in (" ~ listed | join(", ") ~ ") then 1 end)")
        ) -%}
    {%- endfor -%}
    {%- set keys = [] -%}
    {%- for key in unique -%}
        {%- do keys.append([key] if key is string else key) -%}
    {%- endfor -%}
    {#- Each broken-rule row: its rule, its column or key, and the count that says how many. -#}
    {%- set rules = [] -%}
    {%- for rule, column, expression in counted -%}
        {%- do rules.append((rule, column, "broken_" ~ loop.index, "column_counts")) -%}
    {%- endfor -%}
    {%- for key in keys -%}
        {%- set counted_in = "duplicated_" ~ loop.index -%}
        {%- do rules.append(("unique", key | join(", "), "keys_more_than_once", counted_in)) -%}
    {%- endfor -%}
    {%- if not rules -%}
        {#- dbt names the test and its YAML file above this line. -#}
        {{ exceptions.raise_compiler_error(
            "column_rules names no not_null, unique or accepted_values column") }}
    {%- endif %}

    {%- set written_only = where_written and not flags.FULL_REFRESH %}

    with

    {% if written_only -%}
        written_rows as (
            select * from {{ model }}
            where {{ made_in_this_build() }}
        ),
    {%- endif %}
    {#- The rows the row rules count. Inline, not a CTE: DuckDB would materialize a whole table
        used twice. -#}
    {%- if written_only -%}
        {%- set checked_rows -%}
            (
                select * from written_rows
                union all
                select * from {{ model }}
                where not exists (select 1 from written_rows)
            ) as checked_rows
        {%- endset -%}
    {%- else -%}
        {%- set checked_rows = model -%}
    {%- endif %}

    {% if counted -%}
        column_counts as (
            select
                {%- for rule, column, expression in counted %}
                    {{ expression }} as broken_{{ loop.index }}{{ "," if not loop.last }}
                {%- endfor %}
            from {{ checked_rows }}
        ),
    {%- endif %}

    {% for key in keys -%}
        duplicated_{{ loop.index }} as (
            select count(*) as keys_more_than_once
            from (
                select {{ key | join(", ") }}
                from (
                    {%- if written_only %}
                        select {{ key | join(", ") }} from {{ model }} as kept
                        where exists (
                            select 1 from written_rows
                            where
                                {%- for column in key %}
                                    {% if not loop.first %}and {% endif -%}
                                    written_rows.{{ column }} is not distinct from kept.{{ column }}
                                {%- endfor %}
                        )
                        union all
                        select {{ key | join(", ") }} from {{ model }}
                        where not exists (select 1 from written_rows)
                    {%- else %}
                        select {{ key | join(", ") }} from {{ model }}
                    {%- endif %}
                ) as keyed
                {%- if key | length == 1 %}
                    where {{ key[0] }} is not null
                {%- endif %}
                group by {{ key | join(", ") }}
                having count(*) > 1
            ) as repeated_keys
        ),
    {%- endfor %}

    broken_rules as (
        {%- for rule, column, count, counted_in in rules %}
            select
                '{{ rule }}' as rule_name,
                '{{ column }}' as column_name,
                {{ count }} as broken_rows
            from {{ counted_in }}
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    )

    select rule_name, column_name, broken_rows
    from broken_rules
    where broken_rows > 0
{% endtest %}

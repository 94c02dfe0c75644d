{#- dbt's not_null, for every column of a model that must never be null, in one scan and one
    test. dbt's own test is a node per column: 121 of them made half of a build's tests, each
    with its own compile, query and log entry (about 0.1 s even on a small build) and its own
    scan of the table. A failing row names the column and how many of its rows are null. -#}
{% test not_null_columns(model, columns) %}
    with

    null_counts as (
        select
            {%- for column in columns %}
                count(*) - count({{ column }}) as null_rows_{{ loop.index }}
                {{- "," if not loop.last }}
            {%- endfor %}
        from {{ model }}
    )

    {% for column in columns -%}
        select
            '{{ column }}' as column_name,
            null_rows_{{ loop.index }} as null_rows
        from null_counts
        where null_rows_{{ loop.index }} > 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endtest %}

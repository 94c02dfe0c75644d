{#- The non-null keys of `model` a where-written test looks at (unique_where_written,
    relationships_where_written): those `written_in` wrote in this build (rows marked with
    this_build_marker), each as often as `model` holds it. A full refresh, a build that wrote
    no rows, and `dbt test` on its own (no row carries its invocation) give every key. -#}
{% macro keys_written_in_this_build(model, column_name, written_in) -%}
    {%- set written -%}
        select {{ column_name }} from {{ written_in }}
        where {{ made_in_this_build() }}
    {%- endset -%}
    select {{ column_name }} as tested_key
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if not flags.FULL_REFRESH %}
            and (
                {{ column_name }} in ({{ written }})
                or not exists ({{ written }})
            )
        {%- endif %}
{%- endmacro %}

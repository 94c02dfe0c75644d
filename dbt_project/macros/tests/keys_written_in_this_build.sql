{#- The non-null keys of `model` a where-written test looks at (unique_where_written,
    relationships_where_written): those `written_in` wrote in this build (rows marked with
    this_build_marker), each as often as `model` holds it. A full refresh, a build that wrote
    no rows, and `dbt test` on its own (no row carries its invocation) give every key. -#}
{% macro keys_written_in_this_build(model, column_name, written_in, written_by=none) -%}
    {#- written_by: the column whose values mark what was written, when written_in does not carry
        the tested column itself; the tested keys are then those of `model`'s rows with one of
        those values, so each is still tested against the whole table. -#}
    {%- set written -%}
        {%- if written_by is none -%}
            select {{ column_name }} from {{ written_in }}
            where {{ made_in_this_build() }}
        {%- else -%}
            select {{ column_name }} from {{ model }}
            where {{ written_by }} in (
                select {{ written_by }} from {{ written_in }}
                where {{ made_in_this_build() }}
            )
        {%- endif -%}
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

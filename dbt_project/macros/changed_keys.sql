{#- A table computed whole by every build whose rows mostly stay as they were: identity
    resolution, where a day's file changes a few customers among millions of orders. The build
    still computes every row (so the table is exactly what a build from scratch makes), but on
    DuckDB it writes only the keys whose rows changed: writing 3.3M rows of text cost DuckDB
    more than computing them (compressing each column), 4.5-5 s of each of these models at 10M
    order lines. Other engines (Spark) build it as a table. -#}
{% macro recomputed_table_materialization() -%}
    {{ return(adapter.dispatch('recomputed_table_materialization')()) }}
{%- endmacro %}

{% macro default__recomputed_table_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__recomputed_table_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{#- The incremental strategy `changed_keys`: the new rows (the model's whole result, in the temp
    relation) against the table, matched by unique_key, which must be unique. A key whose row
    differs in any column, or that is on one side only, is deleted and inserted; the others are
    left alone. One full join finds them all. The table must then hold as many rows as the
    result: a repeated key would break that, and stops the build rather than keep wrong rows.

    Two configs let a model recompute part of its rows. `changed_keys_scope`: a condition on
    the table's rows saying which of them the result covers (`{computed}` in it names the
    result); the others are kept without being compared, and the rows in scope must then be as
    many as the result. `changed_keys_ignore`: columns not compared (a marker of the build
    that wrote the row: a row that did not change keeps the one it had).
    `changed_keys_keep_removed`: the keys of the rows a build deleted go into a table beside the
    model (removed_rows_relation), marked with the build, so that a model built on this one can
    take up what went away as well as what arrived (int_customer_identities: a link removed
    can take a customer apart). A full refresh leaves that table empty (removed_rows_table). -#}
{% macro get_incremental_changed_keys_sql(arg_dict) -%}
    {{ return(adapter.dispatch('changed_keys_sql')(arg_dict)) }}
{%- endmacro %}

{% macro default__changed_keys_sql(arg_dict) -%}
    {{ exceptions.raise_compiler_error(
        "incremental_strategy 'changed_keys' is written for DuckDB: on " ~ target.type
        ~ " build " ~ arg_dict['target_relation'] ~ " as a table"
        ~ " (recomputed_table_materialization)"
    ) }}
{%- endmacro %}

{#- DuckDB: rows are found again by rowid, within the one transaction of the build. -#}
{% macro duckdb__changed_keys_sql(arg_dict) -%}
    {%- set relation = arg_dict['target_relation'] -%}
    {%- set new_rows = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- if not keys -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'changed_keys' needs a unique_key (model " ~ relation ~ ")"
        ) }}
    {%- endif -%}
    {%- set not_compared = (keys + config.get('changed_keys_ignore', [])) | map('lower') | list -%}
    {%- set differences = [] -%}
    {%- for column in arg_dict['dest_columns'] if column.name | lower not in not_compared -%}
        {%- do differences.append(
            'kept.' ~ column.quoted ~ ' is distinct from computed.' ~ column.quoted
        ) -%}
    {%- endfor -%}
    {%- set scope = config.get('changed_keys_scope') -%}
    {%- set in_scope = (scope | replace('{computed}', new_rows | string)) if scope else 'true' -%}
    {%- set changes = new_rows.identifier ~ '__changed_keys' -%}
    create temp table {{ changes }} as
    select
        kept.kept_row,
        computed.rowid as computed_row
    from (
        select rowid as kept_row, * from {{ relation }}
        where {{ in_scope }}
    ) as kept
    full join {{ new_rows }} as computed
        on
        {%- for key in keys %}
            {% if not loop.first %}and {% endif -%}
            kept.{{ adapter.quote(key) }} is not distinct from computed.{{ adapter.quote(key) }}
        {%- endfor %}
    where
        kept.kept_row is null
        or computed.rowid is null
        {%- for difference in differences %}
        or {{ difference }}
        {%- endfor %};

    {%- if config.get('changed_keys_keep_removed', false) %}
    {{ write_removed_rows(
        relation, keys, 'rowid in (select kept_row from ' ~ changes ~ ' where kept_row is not null)'
    ) }};
    {%- endif %}

    delete from {{ relation }}
    where rowid in (select kept_row from {{ changes }} where kept_row is not null);

    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) %}
    insert into {{ relation }} ({{ columns }})
    select {{ columns }} from {{ new_rows }}
    where rowid in (select computed_row from {{ changes }} where computed_row is not null);

    drop table {{ changes }};

    select case
        when (select count(*) from {{ relation }} where {{ in_scope }})
            <> (select count(*) from {{ new_rows }})
            then error('{{ relation }}: its unique_key (' || '{{ keys | join(", ") }}'
                || ') repeats in the rows the build computed, so its changed rows cannot be told')
    end
{%- endmacro %}

{#- The table beside a model with changed_keys_keep_removed: the keys its last build deleted. -#}
{% macro removed_rows_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__removed'})) }}
{%- endmacro %}

{#- A post_hook of such a model: a build that made the model whole (a full refresh, the first
    build) deleted nothing, and leaves the table of removed keys empty, so that it is there for
    the models built on it. Other engines build the model as a table and keep no such table. -#}
{% macro removed_rows_table() -%}
    {{ return(adapter.dispatch('removed_rows_table')()) }}
{%- endmacro %}

{% macro default__removed_rows_table() -%}
{%- endmacro %}

{% macro duckdb__removed_rows_table() -%}
    {%- if not is_incremental() -%}
        {%- set keys = config.get('unique_key') -%}
        {{ write_removed_rows(this, [keys] if keys is string else keys, 'false') }}
    {%- endif -%}
{%- endmacro %}

{#- The keys of `relation`'s rows that `rows` picks, marked with this build, as its table of
    removed keys. -#}
{% macro write_removed_rows(relation, keys, rows) -%}
    create or replace table {{ removed_rows_relation(relation) }} as
    select
        {%- for key in keys %}
        {{ adapter.quote(key) }},
        {%- endfor %}
        {{ this_build_marker() }}
    from {{ relation }}
    where {{ rows }}
{%- endmacro %}

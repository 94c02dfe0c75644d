{#- Export text to typed values; a value that does not parse becomes null and is caught
    by the not_null tests on the staging columns that must have one. -#}
{% macro to_money(column) -%}
    {{ dbt.safe_cast("replace(replace(trim(" ~ column ~ "), ',', ''), '₩', '')", "decimal(18, 2)") }}
{%- endmacro %}

{% macro parse_offset_timestamp(column) -%}
    try_strptime(trim({{ column }}), '%Y-%m-%d %H:%M:%S %z')
{%- endmacro %}

{#- A wall-clock time with no offset is read in the brand's timezone. -#}
{% macro parse_local_timestamp(column) -%}
    timezone('{{ var("timezone") }}', try_strptime(trim({{ column }}), '%Y-%m-%d %H:%M:%S'))
{%- endmacro %}

{% macro local_date(timestamp_column) -%}
    cast(timezone('{{ var("timezone") }}', {{ timestamp_column }}) as date)
{%- endmacro %}

{% macro yes_no(column) -%}
    coalesce(upper(trim({{ column }})) in ('Y', 'YES', 'TRUE', '1'), false)
{%- endmacro %}

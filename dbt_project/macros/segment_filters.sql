{#- Segment filters arrive as data (var `segments`, checked by activation/segments.py);
    values become quoted literals here, so no text from dangol.yaml is ever run as SQL. -#}
{% macro segment_literal(value) -%}
    {%- if value is sameas true -%} true
    {%- elif value is sameas false -%} false
    {%- elif value is number -%} {{ value }}
    {%- else -%} '{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}

{#- A day on a date column (checked as YYYY-MM-DD in activation/segments.py). -#}
{% macro segment_value(condition, value) -%}
    {%- if condition.kind == 'date' -%} cast({{ segment_literal(value) }} as date)
    {%- else -%} {{ segment_literal(value) }}
    {%- endif -%}
{%- endmacro %}

{% macro segment_condition(condition) -%}
    {%- set column = condition.mart ~ '.' ~ adapter.quote(condition.column) -%}
    {%- set values = [] -%}
    {%- for value in condition['values'] -%}
        {%- do values.append(segment_value(condition, value)) -%}
    {%- endfor -%}
    {%- if condition.operator == 'between' -%}
        {{ column }} between {{ values[0] }} and {{ values[1] }}
    {%- elif condition.operator == 'at_least' -%}
        {{ column }} >= {{ values[0] }}
    {%- elif condition.operator == 'at_most' -%}
        {{ column }} <= {{ values[0] }}
    {%- elif condition.operator == 'in' -%}
        {{ column }} in ({{ values | join(', ') }})
    {%- else -%}
        {{ exceptions.raise_compiler_error('unknown segment operator ' ~ condition.operator) }}
    {%- endif -%}
{%- endmacro %}

{#- All conditions of a block hold. -#}
{% macro segment_block(block) -%}
    ({% for condition in block %}{{ segment_condition(condition) }}{{ ' and ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Why a customer is in: each filtered column with the customer's own value. -#}
{% macro segment_reason(block) -%}
    concat_ws(
        '; '
        {%- for condition in block %},
        '{{ condition.column }}: ' || cast({{ condition.mart }}.{{ adapter.quote(condition.column) }} as {{ dbt.type_string() }})
        {%- endfor %}
    )
{%- endmacro %}

{#- One row holding the as-of day (rfm.as_of, see loyalty_as_of_date) of a relation with
    ordered_date, whichever the setting: a whole CTE body. -#}
{% macro as_of_row(relation) -%}
    select max(as_of_date) as as_of_date
    from (
        select {{ loyalty_as_of_date('ordered_date') }} as as_of_date
        from {{ relation }}
    ) as as_of_days
{%- endmacro %}

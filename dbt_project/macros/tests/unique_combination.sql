{#- dbt packages cannot be installed here, so the one dbt_utils test we need is our own. -#}
{% test unique_combination_of_columns(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as rows_with_this_combination
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

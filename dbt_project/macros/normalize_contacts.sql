{#- Matching keys for a person: trimmed lower-case email, Korean mobile in E.164. -#}
{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{% macro normalize_kr_phone(column) -%}
    case
        when regexp_replace({{ column }}, '[^0-9]', '', 'g') like '82%'
            then '+' || regexp_replace({{ column }}, '[^0-9]', '', 'g')
        when regexp_replace({{ column }}, '[^0-9]', '', 'g') like '0%'
            then '+82' || substr(regexp_replace({{ column }}, '[^0-9]', '', 'g'), 2)
    end
{%- endmacro %}

{#- A stable pseudonymous key: BI tables carry this, never the email or phone behind it. -#}
{% macro customer_key(email, phone, fallback) -%}
    md5(
        '{{ var("customer_key_salt") }}'
        || coalesce('email:' || {{ email }}, 'phone:' || {{ phone }}, 'other:' || {{ fallback }})
    )
{%- endmacro %}

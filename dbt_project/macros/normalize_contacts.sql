{#- Matching keys for a person: trimmed lower-case email, phone in E.164. -#}
{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- ingest/ normalised every distinct raw phone text with `phonenumbers` into raw.phone_numbers. -#}
{% macro phone_e164(column) -%}
    (
        select phone_numbers.phone_e164
        from {{ source('ingest', 'phone_numbers') }} as phone_numbers
        where
            phone_numbers.phone_raw = {{ column }}
            and phone_numbers.default_region = '{{ var("phone_region") }}'
    )
{%- endmacro %}

{#- A stable pseudonymous key: BI tables carry this, never the email or phone behind it. -#}
{% macro customer_key(email, phone, fallback) -%}
    md5(
        '{{ var("customer_key_salt") }}'
        || coalesce('email:' || {{ email }}, 'phone:' || {{ phone }}, 'other:' || {{ fallback }})
    )
{%- endmacro %}

{#- An SNS handle as a matching key: lower case, without the leading @. (Not ltrim(x, '@'):
    Spark's two-argument ltrim takes the characters first.) -#}
{% macro normalize_handle(column) -%}
    nullif(lower(regexp_replace(trim({{ column }}), '^@+', '')), '')
{%- endmacro %}

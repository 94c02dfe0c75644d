{#- A query parameter of a URL (utm_source...), percent-decoded; null when absent or empty. -#}
{% macro url_parameter(url, parameter) -%}
    {{ return(adapter.dispatch('url_parameter')(url, parameter)) }}
{%- endmacro %}

{% macro default__url_parameter(url, parameter) -%}
    nullif(url_decode(regexp_extract({{ url }}, '[?&]{{ parameter }}=([^&#]*)', 1)), '')
{%- endmacro %}

{#- The host of a URL without "www.": https://www.instagram.com/x -> instagram.com. -#}
{% macro url_host(url) -%}
    {{ return(adapter.dispatch('url_host')(url)) }}
{%- endmacro %}

{% macro default__url_host(url) -%}
    nullif(regexp_extract(lower({{ url }}), '^(?:[a-z]+://)?(?:www[.])?([^/:?#]+)', 1), '')
{%- endmacro %}

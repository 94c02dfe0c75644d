{#- Export text to typed values; a value that does not parse becomes null and is caught
    by the not_null tests on the staging columns that must have one. -#}

{#- ₩12,000 / ￦12,000 / 12,000원 / 1,234.50 / KRW 3000: keep digits, the point and a sign. -#}
{% macro to_money(column) -%}
    {{ dbt.safe_cast(
        "nullif(" ~ regexp_replace_all("trim(" ~ column ~ ")", "'[^0-9.-]'", "''") ~ ", '')",
        "decimal(18, 2)"
    ) }}
{%- endmacro %}

{#- Every match of a regular expression replaced (DuckDB replaces the first one unless 'g'). -#}
{% macro regexp_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- True when a regular expression matches anywhere in the text. Write a literal dot as [.]:
    Spark's string literals drop a backslash before an unknown escape. -#}
{% macro regexp_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_contains(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_contains(text, pattern) -%}
    regexp_like({{ text }}, {{ pattern }})
{%- endmacro %}

{#- Any timestamp the exports write: with an offset (Shopify's +0900, ISO's +09:00 or Z) it is
    kept; without one (Korean Excel's "2026. 3. 5. 오후 2:03:00", plain dates, Excel serial
    day numbers) it is a wall-clock time in the brand's timezone. Each engine tries the same
    layouts in the same order. -#}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp')(column)) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(column) -%}
    coalesce(
        try_strptime(
            regexp_replace(trim({{ column }}), 'Z$', '+00:00'),
            [
                '%Y-%m-%d %H:%M:%S %z', '%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z',
                '%Y-%m-%dT%H:%M:%S.%f%z'
            ]
        ),
        timezone(
            '{{ var("timezone") }}',
            coalesce(
                try_strptime(
                    replace(replace(trim({{ column }}), '오후', 'PM'), '오전', 'AM'),
                    [
                        '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S',
                        '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y.%m.%d %H:%M:%S',
                        '%Y.%m.%d %H:%M', '%Y. %m. %d. %p %I:%M:%S', '%Y. %m. %d. %p %I:%M',
                        '%Y-%m-%d', '%Y.%m.%d', '%Y. %m. %d.', '%Y/%m/%d', '%Y%m%d'
                    ]
                ),
                -- Excel counts days from 1899-12-30; a 5-digit day number is 1927 to 2173.
                case
                    when regexp_matches(trim({{ column }}), '^[0-9]{5}(\.[0-9]+)?$')
                        then timestamp '1899-12-30'
                        + to_milliseconds(round(trim({{ column }})::double * 86400000)::bigint)
                end
            )
        )
    )
{%- endmacro %}

{#- Spark's datetime patterns for the same layouts. A wall-clock text is read in the brand's
    timezone by appending its name (pattern VV); single letters take one or two digits, as
    DuckDB's %m, %d, %H do. -#}
{% macro spark__parse_timestamp(column) -%}
    {%- set with_offset = [
        "yyyy-M-d H:m:s Z", "yyyy-M-d H:m:s XXX", "yyyy-M-d'T'H:m:sXXX", "yyyy-M-d'T'H:m:sZ",
        "yyyy-M-d H:m:sXXX", "yyyy-M-d H:m:sZ", "yyyy-M-d'T'H:m:s.SSSSSSXXX",
        "yyyy-M-d'T'H:m:s.SSSSSSZ"
    ] -%}
    {%- set wall_clock = [
        "yyyy-M-d H:m:s", "yyyy-M-d H:m", "yyyy-M-d'T'H:m:s", "yyyy/M/d H:m:s", "yyyy/M/d H:m",
        "yyyy.M.d H:m:s", "yyyy.M.d H:m", "yyyy. M. d. a h:m:s", "yyyy. M. d. a h:m",
        "yyyy-M-d", "yyyy.M.d", "yyyy. M. d.", "yyyy/M/d", "yyyyMMdd"
    ] -%}
    coalesce(
        {%- for layout in with_offset %}
        try_to_timestamp(regexp_replace(trim({{ column }}), 'Z$', '+00:00'), "{{ layout }}"),
        {%- endfor %}
        {%- for layout in wall_clock %}
        try_to_timestamp(
            replace(replace(trim({{ column }}), '오후', 'PM'), '오전', 'AM')
            || ' {{ var("timezone") }}',
            "{{ layout }} VV"
        ),
        {%- endfor %}
        case
            when regexp_like(trim({{ column }}), '^[0-9]{5}([.][0-9]+)?$')
                then to_utc_timestamp(
                    timestamp_millis(
                        cast(round(cast(trim({{ column }}) as double) * 86400000) as bigint)
                        - 2209161600000
                    ),
                    '{{ var("timezone") }}'
                )
        end
    )
{%- endmacro %}

{#- The day a point in time falls on in the brand's timezone. -#}
{% macro local_date(timestamp_column) -%}
    {{ return(adapter.dispatch('local_date')(timestamp_column)) }}
{%- endmacro %}

{% macro duckdb__local_date(timestamp_column) -%}
    cast(timezone('{{ var("timezone") }}', {{ timestamp_column }}) as date)
{%- endmacro %}

{% macro spark__local_date(timestamp_column) -%}
    cast(convert_timezone('{{ var("timezone") }}', {{ timestamp_column }}) as date)
{%- endmacro %}

{% macro yes_no(column) -%}
    coalesce(upper(trim({{ column }})) in ('Y', 'YES', 'TRUE', '1', '동의', 'O'), false)
{%- endmacro %}

{#- A consent answer: blank means never asked or never answered, which is no answer at all. -#}
{% macro consent_answer(column) -%}
    case when nullif(trim({{ column }}), '') is not null then {{ yes_no(column) }} end
{%- endmacro %}

{#- Korean shops report a status per item (배송완료, 반품완료, 취소, 입금전...). -#}
{% macro korean_line_state(status_text) -%}
    case
        when {{ status_text }} like '%취소%' then 'cancelled'
        when {{ status_text }} like '%반품%' or {{ status_text }} like '%환불%' then 'refunded'
        when
            {{ status_text }} like '%입금전%'
            or {{ status_text }} like '%입금대기%'
            or {{ status_text }} like '%결제대기%'
            then 'pending'
        else 'paid'
    end
{%- endmacro %}

{#- An order's financial status from its items' states, in Shopify's words. -#}
{% macro financial_status_from_lines(line_state) -%}
    case
        when count_if({{ line_state }} = 'cancelled') = count(*) then 'voided'
        when count_if({{ line_state }} in ('refunded', 'cancelled')) = count(*) then 'refunded'
        when count_if({{ line_state }} in ('refunded', 'cancelled')) > 0 then 'partially_refunded'
        when count_if({{ line_state }} = 'pending') > 0 then 'pending'
        else 'paid'
    end
{%- endmacro %}

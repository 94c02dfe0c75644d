with

source as (
    select * from {{ source('sns', 'channel_daily_stats') }}
),

renamed as (
    select
        {{ local_date(parse_timestamp('date')) }} as stats_date,
        lower(trim(channel)) as channel,
        trim(campaign) as campaign,
        {{ dbt.safe_cast(regexp_replace_all("impressions", "'[^0-9]'", "''"), 'bigint') }}
            as impressions,
        {{ dbt.safe_cast(regexp_replace_all("clicks", "'[^0-9]'", "''"), 'bigint') }} as clicks,
        {{ to_money('cost') }} as cost_amount,
        {{ dbt.safe_cast(regexp_replace_all("sessions", "'[^0-9]'", "''"), 'bigint') }} as sessions,
        {{ dbt.safe_cast(regexp_replace_all("add_to_carts", "'[^0-9]'", "''"), 'bigint') }}
            as add_to_carts,
        {{ dbt.safe_cast(regexp_replace_all("purchases", "'[^0-9]'", "''"), 'bigint') }}
            as purchases,
        {{ to_money('revenue') }} as revenue,
        upper(coalesce(nullif(trim(currency), ''), '{{ var("default_currency") }}')) as currency,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

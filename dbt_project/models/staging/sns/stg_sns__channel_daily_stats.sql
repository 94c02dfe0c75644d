with

source as (
    select * from {{ source('sns', 'channel_daily_stats') }}
),

renamed as (
    select
        {{ local_date(parse_timestamp('date')) }} as stats_date,
        lower(trim(channel)) as channel,
        trim(campaign) as campaign,
        {{ dbt.safe_cast("regexp_replace(impressions, '[^0-9]', '', 'g')", 'bigint') }}
            as impressions,
        {{ dbt.safe_cast("regexp_replace(clicks, '[^0-9]', '', 'g')", 'bigint') }} as clicks,
        {{ to_money('cost') }} as cost_amount,
        {{ dbt.safe_cast("regexp_replace(sessions, '[^0-9]', '', 'g')", 'bigint') }} as sessions,
        {{ dbt.safe_cast("regexp_replace(add_to_carts, '[^0-9]', '', 'g')", 'bigint') }}
            as add_to_carts,
        {{ dbt.safe_cast("regexp_replace(purchases, '[^0-9]', '', 'g')", 'bigint') }}
            as purchases,
        {{ to_money('revenue') }} as revenue,
        upper(coalesce(nullif(trim(currency), ''), '{{ var("default_currency") }}')) as currency,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

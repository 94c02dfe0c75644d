with

source as (
    select * from {{ source('sns', 'sns_engagement_events') }}
),

renamed as (
    select
        lower(trim(platform)) as platform,
        {{ normalize_handle('handle') }} as handle,
        lower(trim(event_type)) as event_type,
        nullif(trim(post_id), '') as post_id,
        {{ dbt.safe_cast("nullif(trim(rating), '')", 'decimal(4, 2)') }} as rating,
        {{ parse_timestamp('occurred_at') }} as occurred_at,
        _source_file as source_file,
        _source_record as source_record,
        _ingest_file_seq as ingest_file_seq
    from source
)

select * from renamed

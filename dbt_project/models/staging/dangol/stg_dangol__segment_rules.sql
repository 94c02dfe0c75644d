with

source as (
    select * from {{ source('dangol_config', 'segment_rules') }}
),

renamed as (
    select
        segment_name,
        segment_description,
        channel,
        rfm_segment
    from source
)

select * from renamed

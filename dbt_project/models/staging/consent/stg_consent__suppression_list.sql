with

source as (
    select * from {{ source('consent', 'suppression_list') }}
),

renamed as (
    select
        line_number,
        {{ normalize_email('email') }} as email,
        {{ phone_e164('phone') }} as phone_e164
    from source
)

select * from renamed

{#- An incremental model reads only the rows of files loaded since its last build: a loaded
    file never changes (the ingest ledger loads the same bytes once), so its rows stay right. -#}
{% macro files_loaded_since_last_build(column='ingest_file_seq') -%}
    {%- if is_incremental() -%}
        where {{ column }} > (select coalesce(max(ingest_file_seq), 0) from {{ this }})
    {%- endif -%}
{%- endmacro %}

-- deck_extracts: the extracts a version is built from, for the cover sheet and the pages'
-- footers: each force's used extract with its time T (UTC) and date D_T (Europe/London).
-- Grain: one row per force.
with verdicts as (
    select * from extract_verdicts
),

final as (
    select
        force_code,
        extract_id,
        extracted_at,
        extract_date
    from verdicts
    where status = 'used'
)

select * from final
order by force_code asc

-- Rows read, accepted and quarantined per extract and table: the counts the verdicts, the
-- manifest and the run summary all report. Grain: one row per extract per loaded file.
with screened as (
    select * from screened_rows
),

final as (
    select
        extract_id,
        table_name,
        count(*) as rows_read,
        count(*) filter (where len(reasons) = 0) as rows_accepted,
        count(*) filter (where len(reasons) > 0) as rows_quarantined
    from screened
    group by extract_id, table_name
)

select * from final

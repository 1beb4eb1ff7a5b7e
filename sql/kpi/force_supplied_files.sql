-- The files each force's used extract supplies, built once: an optional file (workforce,
-- suspect_actions, victim_survey) counts as supplied when it is present, even with a header
-- and no rows or with every row quarantined. KPIs computed "only where supplied" publish rows,
-- and pool into ALL, for these forces alone. Grain: one row per force per supplied file.
with files as (
    select * from extract_files
),

verdicts as (
    select * from extract_verdicts
),

final as (
    select distinct
        verdicts.force_code,
        files.table_name
    from files
    inner join verdicts on files.extract_id = verdicts.extract_id
    where verdicts.status = 'used'
)

select * from final
order by force_code, table_name

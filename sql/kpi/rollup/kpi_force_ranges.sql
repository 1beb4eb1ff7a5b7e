-- The forces taking part in each KPI, with their published months and settling period: every
-- force, or, for a KPI published only where an optional file is supplied (the registry's
-- requires_file), only the forces whose used extract has that file. Count months, ALL's months
-- and ALL's provisional flag come from these ranges. Grain: one row per KPI per taking-part force.
with catalogue as (
    select * from kpi_catalogue
),

ranges as (
    select * from force_ranges
),

supplied as (
    select * from force_supplied_files
),

final as (
    select
        catalogue.kpi_id,
        catalogue.settling_days,
        ranges.force_code,
        ranges.first_period,
        ranges.last_period,
        ranges.extract_date
    from catalogue
    cross join ranges
    where
        catalogue.requires_file is null
        or exists (
            select 1
            from supplied
            where supplied.force_code = ranges.force_code and supplied.table_name = catalogue.requires_file
        )
)

select * from final

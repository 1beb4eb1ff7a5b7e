-- Every KPI row (kpi_rows, from the roll-up of each kind) with `provisional`: true while the
-- month is still settling. Force f's month M is provisional when D_T(f) <= last day of M + P,
-- P the KPI's settling period (so with P = 0 the month of D_T is provisional). ALL's month M is
-- provisional when M is provisional for at least one taking-part force (kpi_force_ranges) whose
-- published range includes M. A breakdown row takes its `all` row's flag (the flag depends only
-- on force and month). Grain: as kpi_rows.
with kpi_rows as (
    select * from kpi_rows
),

ranges as (
    select * from kpi_force_ranges
),

row_months as (
    select distinct
        kpi_id,
        force_code,
        period
    from kpi_rows
),

force_months as (
    select
        row_months.kpi_id,
        row_months.force_code,
        row_months.period,
        ranges.extract_date <= last_day(row_months.period) + ranges.settling_days as provisional
    from row_months
    inner join ranges
        on
            row_months.kpi_id = ranges.kpi_id
            and row_months.force_code = ranges.force_code
),

-- ALL: provisional when one taking-part force whose range includes the month is still settling.
all_forces_months as (
    select
        row_months.kpi_id,
        row_months.force_code,
        row_months.period,
        coalesce(bool_or(ranges.extract_date <= last_day(row_months.period) + ranges.settling_days), false)
            as provisional
    from row_months
    left join ranges
        on
            row_months.kpi_id = ranges.kpi_id
            and row_months.period between ranges.first_period and ranges.last_period
    where row_months.force_code = 'ALL'
    group by row_months.kpi_id, row_months.force_code, row_months.period
),

months as (
    select * from force_months
    union all
    select * from all_forces_months
),

final as (
    select
        kpi_rows.*,
        months.provisional
    from kpi_rows
    inner join months
        on
            kpi_rows.kpi_id = months.kpi_id
            and kpi_rows.force_code = months.force_code
            and kpi_rows.period = months.period
)

select * from final

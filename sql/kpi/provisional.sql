-- A KPI's rows (kpi_rows, from the aggregate query of its kind) with `provisional`: true while
-- the month is still settling. Force f's month M is provisional when D_T(f) <= last day of M +
-- $settling_days (the KPI's settling period P), so with P = 0 the month of D_T is provisional.
-- ALL's month M is provisional when M is provisional for at least one taking-part force
-- (kpi_ranges) whose published range includes M. A breakdown row takes its `all` row's flag
-- (the flag depends only on force and month). Grain: as kpi_rows.
with kpi_rows as (
    select * from kpi_rows
),

ranges as (
    select * from kpi_ranges
),

force_row_months as (
    select distinct
        force_code,
        period
    from kpi_rows
    where force_code != 'ALL'
),

all_row_months as (
    select distinct period
    from kpi_rows
    where force_code = 'ALL'
),

force_months as (
    select
        force_row_months.force_code,
        force_row_months.period,
        ranges.extract_date <= last_day(force_row_months.period) + cast($settling_days as integer) as provisional
    from force_row_months
    inner join ranges on force_row_months.force_code = ranges.force_code
),

-- ALL: provisional when one taking-part force whose range includes the month is still settling.
all_forces_months as (
    select
        'ALL' as force_code,
        all_row_months.period,
        coalesce(
            bool_or(ranges.extract_date <= last_day(all_row_months.period) + cast($settling_days as integer)),
            false
        ) as provisional
    from all_row_months
    left join ranges on all_row_months.period between ranges.first_period and ranges.last_period
    group by all_row_months.period
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
            kpi_rows.force_code = months.force_code
            and kpi_rows.period = months.period
)

select * from final

-- A KPI's items inside their force's published months (from the month of its earliest
-- valid report to the month of D_T): the catalogue publishes nothing outside that range, and
-- a force contributes to ALL only inside its own range. Reads kpi_raw_items, the output of
-- the KPI's items query, and kpi_ranges, the ranges of the forces taking part in the KPI (a
-- KPI published only where an optional file is supplied keeps the supplying forces' items).
with items as (
    select * from kpi_raw_items
),

ranges as (
    select * from kpi_ranges
),

final as (
    select
        items.*,
        'all' as breakdown
    from items
    inner join ranges on items.force_code = ranges.force_code
    where items.period between ranges.first_period and ranges.last_period
)

select * from final

-- Rows of a count KPI from its items (kpi_items: force_code, period), one item per counted
-- thing. Every month of each taking-part force's published range gets a row, zeros included
-- (kpi_ranges: every force, or only the forces that supply the KPI's optional file).
-- numerator = value = the count; denominator null. Count KPIs have no breakdowns: breakdown `all`.
with items as (
    select * from kpi_items
),

ranges as (
    select * from kpi_ranges
),

force_months as (
    select
        force_code,
        cast(unnest(generate_series(first_period, last_period, interval 1 month)) as date) as period
    from ranges
),

-- ALL's months: from the earliest first month to the latest last month of the taking-part
-- forces, a month inside no force's range included (it counts zero).
all_months as (
    select
        'ALL' as force_code,
        cast(unnest(generate_series(min(first_period), max(last_period), interval 1 month)) as date) as period
    from ranges
),

months as (
    select * from force_months
    union all
    select * from all_months
),

counted as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) as item_count
    from items
    group by grouping sets ((force_code, period), (period))
),

final as (
    select
        months.force_code,
        'all' as breakdown,
        months.period,
        cast(coalesce(counted.item_count, 0) as double) as numerator,
        cast(null as double) as denominator,
        numerator as value
    from months
    left join counted
        on
            months.force_code = counted.force_code
            and months.period = counted.period
)

select * from final

-- Rows of the count KPIs (numerator = value = the count; denominator null) for every month of
-- each taking-part force's published range, zeros included, and for ALL every month from the
-- earliest first month to the latest last month of the taking-part forces (a month inside no
-- force's range included: it counts zero). Reads the forces' partial counts (kpi_sum_partials)
-- and the taking-part forces' ranges (kpi_force_ranges), so a count KPI with no item anywhere
-- still gets its zero months. Grain: one row per KPI per force (and ALL) per month.
with partials as (
    select * from kpi_sum_partials
    where kind = 'count'
),

count_kpis as (
    select kpi_id from kpi_catalogue
    where kind = 'count'
),

ranges as (
    select * from kpi_force_ranges
    where kpi_id in (select count_kpis.kpi_id from count_kpis)
),

force_months as (
    select
        kpi_id,
        force_code,
        cast(unnest(generate_series(first_period, last_period, interval 1 month)) as date) as period
    from ranges
),

-- ALL's months: from the earliest first month to the latest last month of the taking-part forces.
all_months as (
    select
        kpi_id,
        'ALL' as force_code,
        cast(unnest(generate_series(min(first_period), max(last_period), interval 1 month)) as date) as period
    from ranges
    group by kpi_id
),

months as (
    select * from force_months
    union all
    select * from all_months
),

counted as (
    select
        kpi_id,
        coalesce(force_code, 'ALL') as force_code,
        period,
        sum(numerator) as item_count
    from partials
    group by grouping sets ((kpi_id, force_code, period), (kpi_id, period))
),

final as (
    select
        months.kpi_id,
        months.force_code,
        'all' as breakdown,
        months.period,
        cast(coalesce(counted.item_count, 0) as double) as numerator,
        cast(null as double) as denominator,
        numerator as value
    from months
    left join counted
        on
            months.kpi_id = counted.kpi_id
            and months.force_code = counted.force_code
            and months.period = counted.period
)

select * from final

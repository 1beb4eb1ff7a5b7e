-- Rows of the proportion and ratio KPIs for every force and ALL, from the forces' partial sums
-- (kpi_sum_partials). ALL adds up the numerators and the denominators of every force, so it is
-- computed on the pooled records, never as an average of force rates. A proportion's parts are
-- whole counts, whose sums are exact in any order; a ratio's parts can be fractions (sickness
-- days), so they are added in force order and the bits never depend on thread timing.
-- Grain: one row per KPI per force (and ALL) per breakdown per month whose denominator is > 0.
with partials as (
    select * from kpi_sum_partials
    where kind in ('proportion', 'ratio')
),

all_forces_counts as (
    select
        kpi_id,
        'ALL' as force_code,
        breakdown,
        period,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from partials
    where kind = 'proportion'
    group by kpi_id, breakdown, period
),

all_forces_ratios as (
    select
        kpi_id,
        'ALL' as force_code,
        breakdown,
        period,
        sum(numerator order by force_code) as numerator,
        sum(denominator order by force_code) as denominator
    from partials
    where kind = 'ratio'
    group by kpi_id, breakdown, period
),

all_forces as (
    select * from all_forces_counts
    union all
    select * from all_forces_ratios
),

pooled as (
    select
        kpi_id,
        force_code,
        breakdown,
        period,
        numerator,
        denominator
    from partials
    union all
    select * from all_forces
),

final as (
    select
        kpi_id,
        force_code,
        breakdown,
        period,
        numerator,
        denominator,
        numerator / denominator as value
    from pooled
    where denominator > 0
)

select * from final

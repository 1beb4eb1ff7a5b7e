-- Rows of the median KPIs for every force and ALL from the forces' items (kpi_median_partials):
-- the median of the measure (the mean of the middle two when n is even), n in denominator,
-- numerator null; ALL takes the median of the pooled items. Grain: one row per KPI per force (and
-- ALL) per breakdown per month with at least one item.
with items as (
    select * from kpi_median_partials
),

final as (
    select
        kpi_id,
        coalesce(force_code, 'ALL') as force_code,
        breakdown,
        period,
        null::double as numerator,
        count(*)::double as denominator,
        median(measure)::double as value
    from items
    group by grouping sets ((kpi_id, force_code, breakdown, period), (kpi_id, breakdown, period))
)

select * from final

-- Rows of a median KPI from its items (kpi_items: force_code, period, measure): the median
-- of the measure (the mean of the middle two when n is even), n in denominator, numerator
-- null. Items are already limited to their force's published months; ALL pools every
-- force's items. Grain: one row per force (and ALL) per breakdown per month with at least one item.
with items as (
    select * from kpi_items
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        breakdown,
        period,
        null::double as numerator,
        count(*)::double as denominator,
        median(measure)::double as value
    from items
    group by grouping sets ((force_code, breakdown, period), (breakdown, period))
)

select * from final

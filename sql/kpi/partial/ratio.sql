-- One force's partial rows of a ratio KPI from its items (kpi_items: force_code, breakdown,
-- period, numerator_part, denominator_part): the sums the roll-up adds up. Sums of doubles are
-- taken in value order, so the same items always give the same bits whatever the threads do.
-- Grain: one row per breakdown per month with at least one item.
with items as (
    select * from kpi_items
),

final as (
    select
        force_code,
        breakdown,
        period,
        sum(numerator_part::double order by numerator_part::double) as numerator,
        sum(denominator_part::double order by denominator_part::double) as denominator
    from items
    group by force_code, breakdown, period
)

select * from final

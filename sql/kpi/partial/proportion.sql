-- One force's partial rows of a proportion KPI from its items (kpi_items: force_code, breakdown,
-- period, is_counted; one item per member of the denominator): the counts the national roll-up
-- adds up, so ALL pools records and never averages rates. Grain: one row per breakdown per month
-- with at least one item.
with items as (
    select * from kpi_items
),

final as (
    select
        force_code,
        breakdown,
        period,
        count(*) filter (where is_counted)::double as numerator,
        count(*)::double as denominator
    from items
    group by force_code, breakdown, period
)

select * from final

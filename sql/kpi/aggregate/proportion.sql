-- Rows of a proportion KPI from its items (kpi_items: force_code, period, is_counted): one
-- item per member of the denominator, is_counted marking the numerator, already limited to
-- their force's published months (items_in_range.sql). ALL pools the items of every force.
-- Grain: one row per force (and ALL) per breakdown per month with at least one item. Unit: proportion.
with items as (
    select * from kpi_items
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        breakdown,
        period,
        count(*) filter (where is_counted)::double as numerator,
        count(*)::double as denominator,
        numerator / denominator as value
    from items
    group by grouping sets ((force_code, breakdown, period), (breakdown, period))
)

select * from final

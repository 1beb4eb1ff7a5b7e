-- Rows of a proportion KPI from its items (kpi_items: force_code, period, is_counted): one
-- item per member of the denominator, is_counted marking the numerator. Items outside their
-- force's published months are left out; ALL pools the items of every force. Grain: one row
-- per force (and ALL) per month with at least one item. Unit: proportion.
with items as (
    select * from kpi_items
),

ranges as (
    select * from force_ranges
),

in_range as (
    select items.*
    from items
    inner join ranges on items.force_code = ranges.force_code
    where items.period between ranges.first_period and ranges.last_period
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) filter (where is_counted)::double as numerator,
        count(*)::double as denominator,
        numerator / denominator as value
    from in_range
    group by grouping sets ((force_code, period), (period))
)

select * from final

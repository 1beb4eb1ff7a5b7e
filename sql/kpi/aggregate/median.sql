-- Rows of a median KPI from its items (kpi_items: force_code, period, measure): the median
-- of the measure (the mean of the middle two when n is even), n in denominator, numerator
-- null. Items outside their force's published months are left out; ALL pools every force's
-- items. Grain: one row per force (and ALL) per month with at least one item.
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
        null::double as numerator,
        count(*)::double as denominator,
        median(measure)::double as value
    from in_range
    group by grouping sets ((force_code, period), (period))
)

select * from final

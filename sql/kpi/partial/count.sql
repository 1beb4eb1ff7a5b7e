-- One force's partial rows of a count KPI from its items (kpi_items: force_code, period; one
-- item per counted thing): the count per month. Months without an item get their zero in the
-- roll-up, which knows every force's range. Grain: one row per month with at least one item.
with items as (
    select * from kpi_items
),

final as (
    select
        force_code,
        'all' as breakdown,
        period,
        count(*)::double as numerator,
        null::double as denominator
    from items
    group by force_code, period
)

select * from final

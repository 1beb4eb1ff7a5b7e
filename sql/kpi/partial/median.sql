-- One force's items of a median KPI (kpi_items: force_code, breakdown, period, measure), kept
-- whole: a median of ALL needs every pooled value. Grain: one row per item.
with items as (
    select * from kpi_items
),

final as (
    select
        force_code,
        breakdown,
        period,
        measure::double as measure
    from items
)

select * from final

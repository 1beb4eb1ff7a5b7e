-- One force's items of a Kaplan-Meier median KPI (kpi_items: force_code, breakdown, period,
-- duration, is_event), counted per distinct duration: events and items at each duration are all
-- the estimator needs, for the force and, added up, for ALL. Grain: one row per distinct
-- duration per breakdown per month.
with items as (
    select * from kpi_items
),

final as (
    select
        force_code,
        breakdown,
        period,
        duration::double as duration,
        count(*) filter (where is_event) as events,
        count(*) as items
    from items
    group by force_code, breakdown, period, duration
)

select * from final

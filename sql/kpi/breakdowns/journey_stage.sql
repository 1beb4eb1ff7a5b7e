-- A victim-voice KPI's items (kpi_items_all: one per answered survey item and month of its
-- three-month window, in breakdown `all`, carrying the response's journey_stage) repeated once
-- with breakdown = 'journey_stage=<stage>' (reporting, investigation, outcome).
-- Grain: one row per item per breakdown.
with items as (
    select * from kpi_items_all
),

by_stage as (
    select
        items.* exclude (breakdown),
        'journey_stage=' || items.journey_stage as breakdown
    from items
),

final as (
    select * from items
    union all by name
    select * from by_stage
)

select * from final

-- Rows of the Kaplan-Meier median KPIs for every force and ALL from the forces' counts of events
-- and items per duration (kpi_km_partials; ALL adds them up). S(t) is the product over event
-- times t_i <= t of (1 - d_i / n_i), n_i counting items whose duration >= t_i (so an item
-- censored at t_i is still at risk at t_i); the median is the smallest event time with
-- S(t) <= 0.5, compared with the catalogue's 1e-9 tolerance. No row where S never reaches 0.5.
-- numerator = events, denominator = items. Grain: one row per KPI per force (and ALL) per
-- breakdown per month.
with partials as (
    select * from kpi_km_partials
),

pooled as (
    select * from partials
    union all
    select
        kpi_id,
        'ALL' as force_code,
        breakdown,
        period,
        duration,
        sum(events) as events,
        sum(items) as items
    from partials
    group by kpi_id, breakdown, period, duration
),

at_risk as (
    select
        *,
        sum(items) over (
            partition by kpi_id, force_code, breakdown, period order by duration desc
            rows between unbounded preceding and current row
        ) as items_at_risk
    from pooled
),

survival as (
    select
        *,
        product(1 - events / items_at_risk) over (
            partition by kpi_id, force_code, breakdown, period order by duration
            rows between unbounded preceding and current row
        ) as surviving
    from at_risk
),

medians as (
    select
        kpi_id,
        force_code,
        breakdown,
        period,
        min(duration) filter (where events > 0 and surviving <= 0.5 + 1e-9) as median_duration,
        sum(events) as event_count,
        sum(items) as item_count
    from survival
    group by kpi_id, force_code, breakdown, period
),

final as (
    select
        kpi_id,
        force_code,
        breakdown,
        period,
        event_count::double as numerator,
        item_count::double as denominator,
        median_duration::double as value
    from medians
    where median_duration is not null
)

select * from final

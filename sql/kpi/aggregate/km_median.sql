-- Rows of a Kaplan-Meier median KPI from its items (kpi_items: force_code, period, duration,
-- is_event), items without an event being censored at their duration. S(t) is the product
-- over event times t_i <= t of (1 - d_i / n_i), n_i counting items whose duration >= t_i (so
-- an item censored at t_i is still at risk at t_i); the median is the smallest event time
-- with S(t) <= 0.5, compared with the catalogue's 1e-9 tolerance. No row where S never
-- reaches 0.5. numerator = events, denominator = items. Items are already
-- limited to their force's published months; ALL pools every force's items.
with items as (
    select * from kpi_items
),

pooled as (
    select * from items
    union all
    select
        'ALL' as force_code,
        * exclude (force_code)
    from items
),

durations as (
    select
        force_code,
        breakdown,
        period,
        duration,
        count(*) filter (where is_event) as events,
        count(*) as items
    from pooled
    group by force_code, breakdown, period, duration
),

at_risk as (
    select
        *,
        sum(items) over (
            partition by force_code, breakdown, period order by duration desc
            rows between unbounded preceding and current row
        ) as items_at_risk
    from durations
),

survival as (
    select
        *,
        product(1 - events / items_at_risk) over (
            partition by force_code, breakdown, period order by duration
            rows between unbounded preceding and current row
        ) as surviving
    from at_risk
),

medians as (
    select
        force_code,
        breakdown,
        period,
        min(duration) filter (where events > 0 and surviving <= 0.5 + 1e-9) as median_duration,
        sum(events) as event_count,
        sum(items) as item_count
    from survival
    group by force_code, breakdown, period
),

final as (
    select
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

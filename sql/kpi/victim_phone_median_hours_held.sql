-- victim_phone_median_hours_held: Kaplan-Meier median of hours from seizure to return for
-- victim devices seized in month M (Europe/London); phones not yet returned are censored at
-- T. S(t) is the product over event times t_i <= t of (1 - d_i / n_i), n_i counting items
-- whose duration >= t_i; the median is the smallest event time with S(t) <= 0.5 (compared
-- with a 1e-9 tolerance, as the catalogue allows). No row where S never reaches 0.5.
-- Grain: one row per force (and ALL) per month. Unit: hours; numerator = phones returned,
-- denominator = phones seized.
with devices as (
    select * from valid_devices
),

ranges as (
    select * from force_ranges
),

seizures as (
    select
        devices.force_code,
        london_month(devices.seized_at) as period,
        devices.returned_at is not null as is_returned,
        -- Whole microseconds, so equal durations tie exactly.
        epoch_us(coalesce(devices.returned_at, devices.extracted_at)) - epoch_us(devices.seized_at) as held_us,
    from devices
    inner join ranges on ranges.force_code = devices.force_code
    where devices.owner = 'victim'
        and devices.seized_at is not null
        and london_month(devices.seized_at) between ranges.first_period and ranges.last_period
),

pooled as (
    select * from seizures
    union all
    select
        'ALL' as force_code,
        * exclude (force_code),
    from seizures
),

durations as (
    select
        force_code,
        period,
        held_us,
        count(*) filter (where is_returned) as events,
        count(*) as items,
    from pooled
    group by force_code, period, held_us
),

at_risk as (
    select
        *,
        sum(items) over (
            partition by force_code, period order by held_us desc
            rows between unbounded preceding and current row
        ) as items_at_risk,
    from durations
),

survival as (
    select
        *,
        product(1 - events / items_at_risk) over (
            partition by force_code, period order by held_us
            rows between unbounded preceding and current row
        ) as surviving,
    from at_risk
),

medians as (
    select
        force_code,
        period,
        min(held_us) filter (where events > 0 and surviving <= 0.5 + 1e-9) as median_us,
        sum(events) as returned_count,
        sum(items) as seized_count,
    from survival
    group by force_code, period
),

final as (
    select
        force_code,
        period,
        returned_count::double as numerator,
        seized_count::double as denominator,
        median_us / 3600000000.0 as value,
    from medians
    where median_us is not null
)

select * from final

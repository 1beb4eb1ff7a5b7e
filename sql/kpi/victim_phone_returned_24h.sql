-- victim_phone_returned_24h: of the victim devices seized in month M (Europe/London) at
-- least 24 hours before T, the share returned within 24 hours (returned_at - seized_at <=
-- 24 h exactly). Grain: one row per force (and ALL) per month with such seizures inside the
-- force's published range. Unit: proportion.
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
        coalesce(hours_between(devices.seized_at, devices.returned_at) <= 24, false) as is_returned_in_24h,
    from devices
    inner join ranges on ranges.force_code = devices.force_code
    where devices.owner = 'victim'
        and devices.seized_at <= devices.extracted_at - interval 24 hours
        and london_month(devices.seized_at) between ranges.first_period and ranges.last_period
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) filter (where is_returned_in_24h) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from seizures
    group by grouping sets ((force_code, period), (period))
)

select * from final

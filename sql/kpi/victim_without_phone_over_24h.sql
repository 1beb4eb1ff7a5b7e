-- victim_without_phone_over_24h: of the victim devices seized in month M (Europe/London) at
-- least 24 hours before T, the share neither returned within 24 hours nor replaced within 24
-- hours of seizure. Grain: one row per force (and ALL) per month with such seizures inside
-- the force's published range. Unit: proportion.
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
        not (
            coalesce(hours_between(devices.seized_at, devices.returned_at) <= 24, false)
            or coalesce(hours_between(devices.seized_at, devices.replacement_at) <= 24, false)
        ) as is_without_phone,
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
        count(*) filter (where is_without_phone) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from seizures
    group by grouping sets ((force_code, period), (period))
)

select * from final

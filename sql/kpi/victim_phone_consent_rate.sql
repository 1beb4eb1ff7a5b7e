-- victim_phone_consent_rate: of the victim devices requested in month M whose consent is
-- given or refused, the share given. Grain: one row per force (and ALL) per month with such
-- requests inside the force's published range. Unit: proportion.
with devices as (
    select * from valid_devices
),

ranges as (
    select * from force_ranges
),

requests as (
    select
        devices.force_code,
        month_of(devices.requested_date) as period,
        devices.consent = 'given' as is_given,
    from devices
    inner join ranges on ranges.force_code = devices.force_code
    where devices.owner = 'victim'
        and devices.consent in ('given', 'refused')
        and month_of(devices.requested_date) between ranges.first_period and ranges.last_period
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) filter (where is_given) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from requests
    group by grouping sets ((force_code, period), (period))
)

select * from final

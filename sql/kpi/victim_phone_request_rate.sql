-- victim_phone_request_rate: of the cases reported in month M, the share with at least one
-- device row whose owner is the victim. Grain: one row per force (and ALL) per month with
-- reports. Unit: proportion.
with cases as (
    select * from valid_cases
),

devices as (
    select * from valid_devices
),

victim_device_cases as (
    select distinct
        force_code,
        case_id,
    from devices
    where owner = 'victim'
),

cohort as (
    select
        cases.force_code,
        month_of(cases.reported_date) as period,
        victim_device_cases.case_id is not null as has_victim_device,
    from cases
    left join victim_device_cases
        on victim_device_cases.force_code = cases.force_code
        and victim_device_cases.case_id = cases.case_id
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) filter (where has_victim_device) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from cohort
    group by grouping sets ((force_code, period), (period))
)

select * from final

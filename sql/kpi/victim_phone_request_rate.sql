-- victim_phone_request_rate items: the cases reported in month M, counted when at least one
-- device row of the case has owner = victim. Unit: proportion.
with cases as (
    select * from valid_cases
),

devices as (
    select * from valid_devices
),

victim_device_cases as (
    select distinct
        force_code,
        case_id
    from devices
    where owner = 'victim'
),

final as (
    select
        cases.force_code,
        month_of(cases.reported_date) as period,
        victim_device_cases.case_id is not null as is_counted
    from cases
    left join victim_device_cases
        on
            cases.force_code = victim_device_cases.force_code
            and cases.case_id = victim_device_cases.case_id
)

select * from final

-- suspect_device_median_days_to_examination items: the suspect devices seized in month M
-- (Europe/London), with the days (hours / 24) from seizure to completed examination as the
-- event, devices not yet examined censored at T. Unit: days (Kaplan-Meier median).
with devices as (
    select * from valid_devices
),

final as (
    select
        force_code,
        london_month(seized_at) as period,
        hours_between(seized_at, coalesce(examined_at, extracted_at)) / 24 as duration,
        examined_at is not null as is_event
    from devices
    where
        owner = 'suspect'
        and seized_at is not null
)

select * from final

-- victim_phone_median_hours_held items: the victim devices seized in month M (Europe/London),
-- with the hours from seizure to return as the event, phones not yet returned censored at T.
-- Unit: hours (Kaplan-Meier median).
with devices as (
    select * from valid_devices
),

final as (
    select
        force_code,
        london_month(seized_at) as period,
        hours_between(seized_at, coalesce(returned_at, extracted_at)) as duration,
        returned_at is not null as is_event
    from devices
    where
        owner = 'victim'
        and seized_at is not null
)

select * from final

-- victim_phone_consent_rate items: the victim devices whose requested_date is in month M and
-- whose consent is given or refused, counted when consent was given. Unit: proportion.
with devices as (
    select * from valid_devices
),

final as (
    select
        force_code,
        month_of(requested_date) as period,
        consent = 'given' as is_counted
    from devices
    where
        owner = 'victim'
        and consent in ('given', 'refused')
)

select * from final

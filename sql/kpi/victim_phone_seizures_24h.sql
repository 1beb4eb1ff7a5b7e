-- victim_phone_returned_24h / victim_without_phone_over_24h items: the victim devices seized
-- in month M (Europe/London) at least 24 hours before T. Counted, for returned_24h, when
-- returned within 24 hours of seizure (returned_at - seized_at <= 24 h exactly); for
-- without_phone ($without_phone), when neither returned nor replaced within 24 hours.
-- Unit: proportion.
with devices as (
    select * from valid_devices
),

seizures as (
    select
        force_code,
        london_month(seized_at) as period,
        coalesce(hours_between(seized_at, returned_at) <= 24, false) as is_returned_in_24h,
        coalesce(hours_between(seized_at, replacement_at) <= 24, false) as is_replaced_in_24h
    from devices
    where
        owner = 'victim'
        and seized_at <= extracted_at - interval 24 hours
),

final as (
    select
        force_code,
        period,
        case
            when $without_phone then not (is_returned_in_24h or is_replaced_in_24h)
            else is_returned_in_24h
        end as is_counted
    from seizures
)

select * from final

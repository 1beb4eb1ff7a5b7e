-- early_advice_median_days items: the cases whose CPS early advice was received in month M and
-- that have a requested date, measured in whole days from request to receipt. Unit: days (median).
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(early_advice_received_date) as period,
        early_advice_received_date - early_advice_requested_date as measure
    from cases
    where
        early_advice_received_date is not null
        and early_advice_requested_date is not null
)

select * from final

-- median_days_to_withdrawal items: the cases whose victim_withdrawal_date is in month M,
-- measured in whole days from report to withdrawal. Unit: days (median).
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(victim_withdrawal_date) as period,
        victim_withdrawal_date - reported_date as measure
    from cases
    where victim_withdrawal_date is not null
)

select * from final

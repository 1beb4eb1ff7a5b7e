-- withdrawal_within_7d / withdrawal_within_30d items: the cases whose victim_withdrawal_date
-- is in month M, counted when the withdrawal came no more than $max_days whole days after
-- the report (withdrawal - reported <= $max_days). Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(victim_withdrawal_date) as period,
        victim_withdrawal_date - reported_date <= $max_days as is_counted
    from cases
    where victim_withdrawal_date is not null
)

select * from final

-- median_days_to_withdrawal: median of (victim_withdrawal_date - reported_date) in whole
-- days over withdrawals dated in month M (mean of the middle two when n is even).
-- Grain: one row per force (and ALL) per month with withdrawals. Unit: days; n in denominator.
with cases as (
    select * from valid_cases
),

withdrawals as (
    select
        force_code,
        month_of(victim_withdrawal_date) as period,
        victim_withdrawal_date - reported_date as days_to_withdrawal,
    from cases
    where victim_withdrawal_date is not null
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        null::double as numerator,
        count(*) as denominator,
        median(days_to_withdrawal) as value,
    from withdrawals
    group by grouping sets ((force_code, period), (period))
)

select * from final

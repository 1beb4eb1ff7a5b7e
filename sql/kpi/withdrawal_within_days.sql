-- withdrawal_within_7d / withdrawal_within_30d: of the withdrawals dated in month M, the
-- share made no more than $max_days days after the report (withdrawal - reported <= days).
-- Grain: one row per force (and ALL) per month with withdrawals. Unit: proportion.
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
        count(*) filter (where days_to_withdrawal <= $max_days) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from withdrawals
    group by grouping sets ((force_code, period), (period))
)

select * from final

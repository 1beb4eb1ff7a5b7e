-- outcomeNN_share, victim_withdrawal_outcome_share, charge_outcome_share: of the outcomes
-- assigned in month M (cases whose outcome_date is in M, any outcome code), the share whose
-- outcome_code is in $codes. Grain: one row per force (and ALL) per month with outcomes.
-- Unit: proportion.
with cases as (
    select * from valid_cases
),

outcomes as (
    select
        force_code,
        month_of(outcome_date) as period,
        list_contains($codes, outcome_code) as is_counted,
    from cases
    where outcome_date is not null
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) filter (where is_counted) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from outcomes
    group by grouping sets ((force_code, period), (period))
)

select * from final

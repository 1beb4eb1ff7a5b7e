-- outcome14/15/16/18_share, victim_withdrawal_outcome_share, charge_outcome_share items:
-- the outcomes assigned in month M (cases whose outcome_date is in M, any outcome code),
-- counted when outcome_code is in $codes. Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        case_id,
        month_of(outcome_date) as period,
        list_contains($codes, outcome_code) as is_counted
    from cases
    where outcome_date is not null
)

select * from final

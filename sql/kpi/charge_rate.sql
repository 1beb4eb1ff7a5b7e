-- charge_rate items: the cases reported in month M (Home Office "offences recorded" basis),
-- counted when charged (outcome 1 or 1A) as at T. Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        case_id,
        month_of(reported_date) as period,
        is_charged(outcome_code) as is_counted
    from cases
)

select * from final

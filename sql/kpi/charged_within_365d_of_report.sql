-- charged_within_365d_of_report items: the cases reported in month M at least 365 days before
-- D_T (reported_date <= D_T - 365), counted when charged (outcome 1 or 1A) no more than 365
-- days after the report (outcome_date - reported_date <= 365). Every month gets the same year
-- of follow-up, so months compare. Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        case_id,
        month_of(reported_date) as period,
        is_charged(outcome_code) and outcome_date - reported_date <= 365 as is_counted
    from cases
    where reported_date <= extract_date - 365
)

select * from final

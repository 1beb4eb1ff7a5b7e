-- median_days_report_to_outcome / median_days_report_to_charge items: the cases whose
-- outcome_date is in month M (charged cases only when $charged_only), measured in whole
-- days from report to outcome. Unit: days (median).
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(outcome_date) as period,
        outcome_date - reported_date as measure
    from cases
    where
        outcome_date is not null
        and (not $charged_only or is_charged(outcome_code))
)

select * from final

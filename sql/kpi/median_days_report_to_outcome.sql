-- median_days_report_to_outcome / median_days_report_to_charge: median of (outcome_date -
-- reported_date) in whole days over cases whose outcome_date is in month M; when
-- $charged_only, over charged cases only. Grain: one row per force (and ALL) per month with
-- such outcomes. Unit: days; n in denominator.
with cases as (
    select * from valid_cases
),

outcomes as (
    select
        force_code,
        month_of(outcome_date) as period,
        outcome_date - reported_date as days_to_outcome,
    from cases
    where outcome_date is not null
        and (not $charged_only or is_charged(outcome_code))
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        null::double as numerator,
        count(*) as denominator,
        median(days_to_outcome) as value,
    from outcomes
    group by grouping sets ((force_code, period), (period))
)

select * from final

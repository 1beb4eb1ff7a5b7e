-- charge_rate: of the cases reported in month M (Home Office "offences recorded" basis), the
-- share charged (outcome 1 or 1A) as at T. Grain: one row per force (and ALL) per month with
-- reports. Unit: proportion.
with cases as (
    select * from valid_cases
),

cohort as (
    select
        force_code,
        month_of(reported_date) as period,
        is_charged(outcome_code) as is_charged,
    from cases
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) filter (where is_charged) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from cohort
    group by grouping sets ((force_code, period), (period))
)

select * from final

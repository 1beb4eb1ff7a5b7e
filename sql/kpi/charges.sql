-- charges: number of charged cases (outcome 1 or 1A) whose outcome_date is in month M.
-- Grain: one row per force (and ALL) for every month in its published range, zeros
-- included. Unit: cases; numerator = value, denominator null.
with cases as (
    select * from valid_cases
),

ranges as (
    select * from force_ranges
),

force_months as (
    select
        force_code,
        cast(unnest(generate_series(first_period, last_period, interval 1 month)) as date) as period,
    from ranges
),

all_months as (
    select
        'ALL' as force_code,
        cast(unnest(generate_series(min(first_period), max(last_period), interval 1 month)) as date) as period,
    from ranges
),

months as (
    select * from force_months
    union all
    select * from all_months
),

charged as (
    select
        force_code,
        month_of(outcome_date) as period,
    from cases
    where is_charged(outcome_code)
),

charged_in_month as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) as charged_count,
    from charged
    group by grouping sets ((force_code, period), (period))
),

final as (
    select
        months.force_code,
        months.period,
        coalesce(charged_in_month.charged_count, 0)::double as numerator,
        null::double as denominator,
        numerator as value,
    from months
    left join charged_in_month
        on charged_in_month.force_code = months.force_code
        and charged_in_month.period = months.period
)

select * from final

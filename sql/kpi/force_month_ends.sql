-- Every published month of each force with its month end E = min(last day of the month, D_T),
-- the date at which the snapshot KPIs (open cases, victim updates) are taken.
-- Grain: one row per force per published month.
with ranges as (
    select * from force_ranges
),

months as (
    select
        force_code,
        extract_date,
        cast(unnest(generate_series(first_period, last_period, interval 1 month)) as date) as period
    from ranges
),

final as (
    select
        force_code,
        period,
        least(last_day(period), extract_date) as month_end
    from months
)

select * from final

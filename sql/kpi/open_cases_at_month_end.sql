-- Cases open at each month end E of their force (reported_date <= E and no outcome on or
-- before E), shared by the snapshot KPIs. E = min(last day of M, D_T). Every date is on or before
-- D_T, so a case is open at the end of every month from the month of its report up to the month
-- before its outcome (or the force's last published month when it has none): the months are
-- generated per case instead of joining every case to every month end. Grain: one row per force
-- per published month per open case. month_end is E.
with cases as (
    select * from valid_cases
),

ranges as (
    select * from force_ranges
),

open_months as (
    select
        cases.force_code,
        cases.case_id,
        cases.officer_id,
        cases.reported_date,
        cases.victim_withdrawal_date,
        ranges.extract_date,
        cast(unnest(generate_series(
            month_of(cases.reported_date),
            coalesce(month_of(cases.outcome_date) - interval 1 month, ranges.last_period),
            interval 1 month
        )) as date) as period
    from cases
    inner join ranges on cases.force_code = ranges.force_code
),

final as (
    select
        force_code,
        period,
        least(last_day(period), extract_date) as month_end,
        case_id,
        officer_id,
        reported_date,
        victim_withdrawal_date
    from open_months
)

select * from final

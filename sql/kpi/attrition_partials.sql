-- attrition_partials: one force's cases of each quarter of report counted by days observed
-- (victim_withdrawal_date - reported_date for a withdrawal, the event; outcome_date -
-- reported_date for a case closed without one, or D_T - reported_date for an open case, both
-- censored), for the attrition curve; the national roll-up adds the counts up for ALL. Cases in
-- their force's published months only. Grain: one row per report quarter per distinct time.
with cases as (
    select * from valid_cases
),

ranges as (
    select * from force_ranges
),

times as (
    select
        cases.force_code,
        cast(date_trunc('quarter', cases.reported_date) as date) as report_quarter,
        cases.victim_withdrawal_date is not null as is_withdrawal,
        coalesce(cases.victim_withdrawal_date, cases.outcome_date, cases.extract_date) - cases.reported_date
            as days_observed
    from cases
    inner join ranges on cases.force_code = ranges.force_code
    where month_of(cases.reported_date) between ranges.first_period and ranges.last_period
),

final as (
    select
        force_code,
        report_quarter,
        days_observed,
        count(*) filter (where is_withdrawal) as withdrawals,
        count(*) as cases_ending
    from times
    group by force_code, report_quarter, days_observed
)

select * from final

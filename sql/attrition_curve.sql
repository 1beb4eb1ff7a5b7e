-- attrition_curve: when do victims withdraw? Per force (and ALL) and quarter of report, the
-- Kaplan-Meier cumulative share of victims who have withdrawn by day 0, 1, ..., 365 after the
-- report, from the forces' counts of cases by days observed (attrition_partials; ALL adds them
-- up). A withdrawal is the event; a case closed without one is censored at its outcome, an open
-- one at D_T. S(t) = product over withdrawal days t_i <= t of (1 - d_i / n_i), n_i the cases
-- whose time is >= t_i; withdrawn_share = 1 - S(day). at_risk = cases whose time is >= day.
-- Beyond the longest time in a quarter nobody is observed: at_risk is 0 and withdrawn_share
-- null. Grain: one row per force per report quarter per day 0-365.
with partials as (
    select * from attrition_partials
),

by_day as (
    select * from partials
    union all
    select
        'ALL' as force_code,
        report_quarter,
        days_observed,
        sum(withdrawals) as withdrawals,
        sum(cases_ending) as cases_ending
    from partials
    group by report_quarter, days_observed
),

at_risk as (
    select
        *,
        sum(cases_ending) over (
            partition by force_code, report_quarter order by days_observed desc
            rows between unbounded preceding and current row
        ) as at_risk
    from by_day
),

survival as (
    select
        *,
        sum(withdrawals) over quarter_so_far as withdrawals_to_date,
        product(1 - withdrawals / at_risk) over quarter_so_far as still_supporting
    from at_risk
    window quarter_so_far as (
        partition by force_code, report_quarter order by days_observed
        rows between unbounded preceding and current row
    )
),

quarters as (
    select
        force_code,
        report_quarter,
        sum(cases_ending) as cases,
        max(days_observed) as longest_days
    from by_day
    group by force_code, report_quarter
),

days as (
    select
        quarters.*,
        unnest(range(0, 366)) as day
    from quarters
),

survival_by_day as (
    -- S at a day is S at the last time on or before it; at risk are those whose time is on
    -- or after it.
    select
        days.force_code,
        days.report_quarter,
        days.day,
        days.cases,
        days.longest_days,
        coalesce(survived.still_supporting, 1.0) as still_supporting,
        coalesce(survived.withdrawals_to_date, 0) as withdrawals_to_date,
        coalesce(remaining.at_risk, 0) as at_risk
    from days
    asof left join survival as survived
        on
            days.force_code = survived.force_code
            and days.report_quarter = survived.report_quarter
            and days.day >= survived.days_observed
    asof left join survival as remaining
        on
            days.force_code = remaining.force_code
            and days.report_quarter = remaining.report_quarter
            and days.day <= remaining.days_observed
),

final as (
    select
        force_code,
        report_quarter,
        cast(day as integer) as day,
        cast(cases as bigint) as cases,
        cast(at_risk as bigint) as at_risk,
        cast(withdrawals_to_date as bigint) as withdrawals_to_date,
        if(day <= longest_days, 1 - still_supporting, null) as withdrawn_share
    from survival_by_day
)

select * from final
order by force_code, report_quarter, day

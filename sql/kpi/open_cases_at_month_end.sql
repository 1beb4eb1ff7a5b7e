-- Cases open at each month end E of their force (reported_date <= E and no outcome on or
-- before E), shared by the snapshot KPIs. Grain: one row per force per published month per
-- open case. month_end is E.
with cases as (
    select * from valid_cases
),

month_ends as (
    select * from force_month_ends
),

final as (
    select
        month_ends.force_code,
        month_ends.period,
        month_ends.month_end,
        cases.case_id,
        cases.officer_id,
        cases.reported_date,
        cases.victim_withdrawal_date
    from month_ends
    inner join cases
        on
            month_ends.force_code = cases.force_code
            and month_ends.month_end >= cases.reported_date
            and (cases.outcome_date is null or month_ends.month_end < cases.outcome_date)
)

select * from final

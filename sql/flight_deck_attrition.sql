-- flight_deck_attrition: the attrition lines of the flight deck page: for each force (and ALL)
-- and its four latest quarters of report, the Kaplan-Meier share of victims withdrawn by day
-- 7, 30, 90 and 365 from attrition_curve; null ("not yet") where fewer than $min_denominator
-- cases are still followed at that day, because the tail of a young quarter's curve rests on
-- a handful of cases. A quarter with fewer than $min_denominator cases is suppressed, as
-- proportions are in kpi_export. Grain: one row per force per report quarter.
with curves as (
    select * from attrition_curve
),

quarters as (
    select
        force_code,
        report_quarter,
        max(cases) as cases,
        max(withdrawn_share) filter (where day = 7 and at_risk >= $min_denominator) as withdrawn_by_day_7,
        max(withdrawn_share) filter (where day = 30 and at_risk >= $min_denominator) as withdrawn_by_day_30,
        max(withdrawn_share) filter (where day = 90 and at_risk >= $min_denominator) as withdrawn_by_day_90,
        max(withdrawn_share) filter (where day = 365 and at_risk >= $min_denominator) as withdrawn_by_day_365,
        row_number() over (partition by force_code order by report_quarter desc) as recency
    from curves
    group by force_code, report_quarter
),

final as (
    select
        force_code,
        report_quarter,
        cases,
        cases < $min_denominator as is_suppressed,
        if(is_suppressed, null, withdrawn_by_day_7) as withdrawn_by_day_7,
        if(is_suppressed, null, withdrawn_by_day_30) as withdrawn_by_day_30,
        if(is_suppressed, null, withdrawn_by_day_90) as withdrawn_by_day_90,
        if(is_suppressed, null, withdrawn_by_day_365) as withdrawn_by_day_365
    from quarters
    where recency <= 4
)

select * from final
order by force_code asc, report_quarter asc

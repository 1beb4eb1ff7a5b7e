-- deck_attrition: the attrition charts ("when do victims withdraw?"): for each force (and ALL)
-- and its four latest quarters of report, the Kaplan-Meier share of victims withdrawn by each
-- day 0-365 after report, from attrition_curve. A day where fewer than $min_denominator cases
-- are still followed has no value (the tail of a young quarter rests on a handful of cases), and
-- a quarter of fewer than $min_denominator cases is suppressed whole, as proportions are in
-- kpi_export. Grain: one row per force per report quarter per day; shares as fractions.
with curves as (
    select * from attrition_curve
),

quarters as (
    select
        force_code,
        report_quarter,
        dense_rank() over (partition by force_code order by report_quarter desc) as recency
    from curves
    group by force_code, report_quarter
),

final as (
    select
        curves.force_code,
        cast(curves.report_quarter as date) as report_quarter,
        curves.day,
        curves.cases < $min_denominator as is_suppressed,
        if(curves.cases < $min_denominator, null, curves.cases) as cases,
        if(curves.cases < $min_denominator or curves.at_risk < $min_denominator, null, curves.at_risk) as at_risk,
        if(curves.cases < $min_denominator or curves.at_risk < $min_denominator, null, curves.withdrawn_share)
            as withdrawn_share
    from curves
    inner join quarters
        on
            curves.force_code = quarters.force_code
            and curves.report_quarter = quarters.report_quarter
    where quarters.recency <= 4
)

select * from final
order by force_code = 'ALL' desc, force_code asc, report_quarter asc, day asc

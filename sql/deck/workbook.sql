-- deck_workbook: every kpi_export row for the spreadsheet, as its cells, in the order its tables
-- are cut: KPI (catalogue order), force (ALL first), breakdown, month. The month is written
-- YYYY-MM, followed by ' [p]' while the month is provisional; suppressed rows keep status
-- 'suppressed' and no numbers, and a number that does not exist (or is not a number) is null, so
-- the workbook shows [c] or [x] in its place. Grain: as kpi_export.
with exported as (
    select * from deck_kpi_export
),

catalogue as (
    select * from kpi_catalogue
),

final as (
    select
        catalogue.position as kpi_position,
        exported.kpi_id,
        exported.force_code,
        cast(exported.period as date) as period,
        strftime(exported.period, '%Y-%m')
        || if(coalesce(exported.provisional, false), ' [p]', '') as month,
        exported.breakdown,
        if(isnan(exported.numerator), null, exported.numerator) as numerator,
        if(isnan(exported.denominator), null, exported.denominator) as denominator,
        if(isnan(exported.value), null, exported.value) as value,
        if(isnan(exported.ci_low), null, exported.ci_low) as ci_low,
        if(isnan(exported.ci_high), null, exported.ci_high) as ci_high,
        exported.status
    from exported
    inner join catalogue on exported.kpi_id = catalogue.kpi_id
)

select * from final
order by kpi_position asc, force_code = 'ALL' desc, force_code asc, breakdown = 'all' desc, breakdown asc, period asc

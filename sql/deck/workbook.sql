-- deck_workbook: every kpi_export row for the spreadsheet, in the order its tables are cut:
-- KPI (catalogue order), force (ALL first), breakdown, month. Suppressed rows keep status
-- 'suppressed' and no numbers; `provisional` marks a month still settling. Grain: as kpi_export.
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
        exported.breakdown,
        exported.numerator,
        exported.denominator,
        exported.value,
        exported.ci_low,
        exported.ci_high,
        exported.status,
        coalesce(exported.provisional, false) as is_provisional
    from exported
    inner join catalogue on exported.kpi_id = catalogue.kpi_id
)

select * from final
order by kpi_position asc, force_code = 'ALL' desc, force_code asc, breakdown = 'all' desc, breakdown asc, period asc

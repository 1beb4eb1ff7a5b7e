-- kpi_export: the KPI table meant to leave the force (spreadsheet and flight deck page), with
-- the disclosure rule applied: a proportion whose denominator is under $min_denominator has
-- its numerator, denominator, value and interval withheld and status = 'suppressed' (not a
-- blank that could be read as zero or missing data). Other kinds are published as they are.
-- kpi_monthly keeps the full numbers for internal use. Provisional rows (months still settling)
-- keep their figures and carry provisional = true, so every reader can label them. Grain: as
-- kpi_monthly, with the KPI's title, section and unit for readers.
with kpis as (
    select * from kpi_monthly
),

catalogue as (
    select * from kpi_catalogue
),

judged as (
    select
        kpis.*,
        catalogue.title,
        catalogue.section,
        catalogue.unit,
        catalogue.position,
        catalogue.kind = 'proportion' and kpis.denominator < $min_denominator as is_suppressed
    from kpis
    inner join catalogue on kpis.kpi_id = catalogue.kpi_id
),

final as (
    select
        force_code,
        period,
        position,
        section,
        kpi_id,
        title,
        unit,
        breakdown,
        if(is_suppressed, null, numerator) as numerator,
        if(is_suppressed, null, denominator) as denominator,
        if(is_suppressed, null, value) as value,
        if(is_suppressed, null, ci_low) as ci_low,
        if(is_suppressed, null, ci_high) as ci_high,
        provisional,
        if(is_suppressed, 'suppressed', 'published') as status
    from judged
)

select * exclude (position) from final
order by force_code, position, breakdown, period

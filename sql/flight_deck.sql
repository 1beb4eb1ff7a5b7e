-- flight_deck: the rows of the readable flight deck page: for each force (and ALL) and each
-- KPI, its latest published month (breakdown `all`) from the disclosure-controlled export,
-- with the SPC signal of that month. Grain: one row per force per KPI that has any row.
with export as (
    select * from kpi_export
    where breakdown = 'all'
),

spc as (
    select * from kpi_spc
),

catalogue as (
    select * from kpi_catalogue
),

latest as (
    select
        *,
        row_number() over (partition by force_code, kpi_id order by period desc) as recency
    from export
),

final as (
    select
        latest.force_code,
        latest.section,
        catalogue.position,
        latest.kpi_id,
        latest.title,
        latest.unit,
        catalogue.kind,
        catalogue.better,
        latest.period,
        latest.value,
        latest.ci_low,
        latest.ci_high,
        latest.denominator,
        latest.status,
        spc.signal,
        spc.rules
    from latest
    inner join catalogue on latest.kpi_id = catalogue.kpi_id
    left join spc
        on
            latest.force_code = spc.force_code
            and latest.kpi_id = spc.kpi_id
            and latest.period = spc.period
    where latest.recency = 1
)

select * from final
order by force_code = 'ALL' desc, force_code asc, position asc

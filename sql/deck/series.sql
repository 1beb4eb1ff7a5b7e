-- deck_series: the points of every SPC chart on the flight deck pages. For each force (and
-- ALL), KPI and month with a row (breakdown `all`): the figure as it may leave the force
-- (from kpi_export, so a suppressed proportion has no number), whether the month is still
-- settling, and its SPC reading (centre, process limits, rules fired, signal). A provisional
-- month carries no rules and the signal `provisional`; a suppressed month carries no rules and
-- the signal `suppressed`, because a signal would give away where the hidden value lies.
-- Grain: one row per force per KPI per month; value, interval and limits in the KPI's unit.
with exported as (
    select * from deck_kpi_export
    where breakdown = 'all'
),

spc as (
    select * from deck_kpi_spc
),

catalogue as (
    select * from kpi_catalogue
),

judged as (
    select
        exported.force_code,
        exported.kpi_id,
        catalogue.position,
        cast(exported.period as date) as period,
        exported.status = 'suppressed' as is_suppressed,
        coalesce(exported.provisional, false) or coalesce(spc.provisional, false) as is_provisional,
        exported.value,
        exported.ci_low,
        exported.ci_high,
        exported.numerator,
        exported.denominator,
        spc.centre,
        spc.upper_limit,
        spc.lower_limit,
        spc.rules,
        spc.signal
    from exported
    inner join catalogue on exported.kpi_id = catalogue.kpi_id
    left join spc
        on
            exported.force_code = spc.force_code
            and exported.kpi_id = spc.kpi_id
            and exported.period = spc.period
),

final as (
    select
        force_code,
        kpi_id,
        position,
        period,
        is_suppressed,
        is_provisional,
        value,
        ci_low,
        ci_high,
        numerator,
        denominator,
        centre,
        upper_limit,
        lower_limit,
        if(is_suppressed or is_provisional, null, rules) as rules,
        case
            when is_provisional then 'provisional'
            when is_suppressed then 'suppressed'
            else coalesce(signal, 'too_few_points')
        end as signal
    from judged
)

select * from final
order by force_code = 'ALL' desc, force_code asc, position asc, period asc

-- deck_latest: what each measure says now, for the card beside its SPC chart and the summary at
-- the top of each force: the latest settled (not provisional) month of each force (and ALL) and
-- KPI, with its figure as it may leave the force, its 95% interval, n and its signal, and how many
-- later months are still provisional. A KPI whose every month is still settling has a row with no
-- settled month. Grain: one row per force per KPI.
with points as (
    select * from deck_series
),

settled as (
    select
        *,
        row_number() over (partition by force_code, kpi_id order by period desc) as recency
    from points
    where not is_provisional
),

series as (
    select
        force_code,
        kpi_id,
        any_value(position) as position,
        min(period) as first_period,
        max(period) as last_period,
        count(*) filter (where is_provisional) as provisional_months
    from points
    group by force_code, kpi_id
),

final as (
    select
        series.force_code,
        series.kpi_id,
        series.position,
        series.first_period,
        series.last_period,
        series.provisional_months,
        settled.period as settled_period,
        settled.is_suppressed,
        settled.value,
        settled.ci_low,
        settled.ci_high,
        settled.numerator,
        settled.denominator,
        settled.rules,
        coalesce(settled.signal, 'provisional') as signal
    from series
    left join settled
        on
            series.force_code = settled.force_code
            and series.kpi_id = settled.kpi_id
            and settled.recency = 1
)

select * from final
order by force_code = 'ALL' desc, force_code asc, position asc

-- deck_funnel: the points of the funnel plots comparing forces, from kpi_funnel, with the
-- disclosure rule: a force whose denominator over the window is under $min_denominator shows
-- no numerator, value, limits, position or signal (its limits would give away its n). The
-- national value is all forces pooled and is always shown. Grain: one row per proportion KPI
-- per force; shares as fractions.
with funnel as (
    select * from deck_kpi_funnel
),

catalogue as (
    select * from kpi_catalogue
),

judged as (
    select
        funnel.*,
        catalogue.position as kpi_position,
        funnel.denominator < $min_denominator as is_suppressed
    from funnel
    inner join catalogue on funnel.kpi_id = catalogue.kpi_id
),

final as (
    select
        kpi_id,
        kpi_position,
        force_code,
        cast(window_from as date) as window_from,
        cast(window_to as date) as window_to,
        is_suppressed,
        national_value,
        if(is_suppressed, null, numerator) as numerator,
        if(is_suppressed, null, denominator) as denominator,
        if(is_suppressed, null, value) as value,
        if(is_suppressed, null, lower_95) as lower_95,
        if(is_suppressed, null, upper_95) as upper_95,
        if(is_suppressed, null, lower_99_8) as lower_99_8,
        if(is_suppressed, null, upper_99_8) as upper_99_8,
        if(is_suppressed, null, position) as position,
        if(is_suppressed, 'suppressed', signal) as signal
    from judged
)

select * from final
order by kpi_position asc, force_code asc

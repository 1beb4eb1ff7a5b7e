-- kpi_funnel: forces compared fairly (the data of a funnel plot), exactly as the catalogue's
-- Views section says. For each proportion KPI (its rows carry a Wilson interval), the window
-- is the 12 months ending with the latest month whose ALL row (breakdown `all`) is not
-- provisional. For each force with a denominator > 0 in the window: numerator and denominator
-- summed over its non-provisional rows in the window, value = their ratio; the national value
-- p = the same sums over ALL's rows in the window; limits p +/- z x sqrt(p (1 - p) / n) with n
-- the force's denominator, z = 1.959963984540054 (95%) and 3.090232306167813 (99.8%), clipped
-- to [0, 1]. position: strictly beyond a limit (above_99.8, above_95, below_95, below_99.8) or
-- within; signal: improvement or concern beyond 99.8% against the KPI's better direction
-- (neither without one), within_limits otherwise. ALL has no row of its own.
-- Grain: one row per proportion KPI per force. Sums are of whole counts, as integers.
with kpis as (
    select * from kpi_monthly
    where breakdown = 'all'
),

catalogue as (
    select * from kpi_catalogue
    where kind = 'proportion'
),

-- The window ends with ALL's latest settled month.
windows as (
    select
        kpis.kpi_id,
        cast(max(kpis.period) - interval 11 month as date) as window_from,
        max(kpis.period) as window_to
    from kpis
    inner join catalogue on kpis.kpi_id = catalogue.kpi_id
    where kpis.force_code = 'ALL' and not kpis.provisional
    group by kpis.kpi_id
),

summed as (
    select
        kpis.kpi_id,
        kpis.force_code,
        windows.window_from,
        windows.window_to,
        sum(cast(kpis.numerator as bigint)) as numerator_count,
        sum(cast(kpis.denominator as bigint)) as denominator_count
    from kpis
    inner join windows
        on
            kpis.kpi_id = windows.kpi_id
            and kpis.period between windows.window_from and windows.window_to
    where not kpis.provisional
    group by kpis.kpi_id, kpis.force_code, windows.window_from, windows.window_to
),

national as (
    select
        kpi_id,
        cast(numerator_count as double) / cast(denominator_count as double) as national_value
    from summed
    where force_code = 'ALL'
),

forces as (
    select
        summed.kpi_id,
        summed.force_code,
        summed.window_from,
        summed.window_to,
        cast(summed.numerator_count as double) as numerator,
        cast(summed.denominator_count as double) as denominator,
        numerator / denominator as value,
        national.national_value
    from summed
    inner join national on summed.kpi_id = national.kpi_id
    where summed.force_code != 'ALL' and summed.denominator_count > 0
),

limits as (
    select
        *,
        sqrt(national_value * (1 - national_value) / denominator) as standard_error,
        greatest(0.0, national_value - 1.959963984540054 * standard_error) as lower_95,
        least(1.0, national_value + 1.959963984540054 * standard_error) as upper_95,
        greatest(0.0, national_value - 3.090232306167813 * standard_error) as lower_99_8,
        least(1.0, national_value + 3.090232306167813 * standard_error) as upper_99_8
    from forces
),

positioned as (
    select
        limits.*,
        catalogue.better,
        case
            when limits.value > limits.upper_99_8 then 'above_99.8'
            when limits.value > limits.upper_95 then 'above_95'
            when limits.value < limits.lower_99_8 then 'below_99.8'
            when limits.value < limits.lower_95 then 'below_95'
            else 'within'
        end as position
    from limits
    inner join catalogue on limits.kpi_id = catalogue.kpi_id
),

final as (
    select
        kpi_id,
        force_code,
        window_from,
        window_to,
        numerator,
        denominator,
        value,
        national_value,
        lower_95,
        upper_95,
        lower_99_8,
        upper_99_8,
        position,
        case
            when position not in ('above_99.8', 'below_99.8') then 'within_limits'
            when better is null then 'neither'
            when (position = 'above_99.8') = (better = 'up') then 'improvement'
            else 'concern'
        end as signal
    from positioned
)

select * from final
order by kpi_id, force_code

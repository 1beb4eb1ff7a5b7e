-- deck_funnel_limits: the funnel's control limits drawn as curves: for each proportion KPI, the
-- national value p and, at 81 denominators n spaced evenly on a log scale from the smallest to
-- beyond the largest force's shown denominator, p +/- z * sqrt(p * (1 - p) / n) clipped to [0, 1],
-- with the catalogue's z for 95% (1.959963984540054) and 99.8% (3.090232306167813), the same
-- formula kpi_funnel applies at each force's own n. Grain: one row per KPI per grid step.
with forces as (
    select * from deck_funnel
),

extent as (
    select
        kpi_id,
        any_value(kpi_position) as kpi_position,
        any_value(national_value) as national_value,
        greatest(1.0, 0.8 * min(denominator)) as smallest,
        1.1 * max(denominator) as largest
    from forces
    where denominator is not null
    group by kpi_id
),

grid as (
    select
        extent.*,
        unnest(range(0, 81)) as step
    from extent
),

spaced as (
    select
        *,
        exp(ln(smallest) + step / 80 * (ln(largest) - ln(smallest))) as denominator,
        sqrt(national_value * (1 - national_value) / denominator) as standard_error
    from grid
),

final as (
    select
        kpi_id,
        kpi_position,
        cast(step as integer) as step,
        denominator,
        national_value,
        greatest(0.0, national_value - 1.959963984540054 * standard_error) as lower_95,
        least(1.0, national_value + 1.959963984540054 * standard_error) as upper_95,
        greatest(0.0, national_value - 3.090232306167813 * standard_error) as lower_99_8,
        least(1.0, national_value + 3.090232306167813 * standard_error) as upper_99_8
    from spaced
)

select * from final
order by kpi_position asc, step asc

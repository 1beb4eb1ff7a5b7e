-- kpi_spc: XmR statistical process control (NHS "Making Data Count") on every KPI's monthly
-- series with breakdown `all`, per force and ALL. Centre = mean of the baseline points; process
-- limits = centre +/- 2.66 x mean moving range of the baseline (moving ranges between
-- consecutive baseline points); the baseline is every point unless spc_baselines fixes its
-- months. Rules (each flags the points that make it up):
--   outside_limits: a point above the upper or below the lower limit;
--   shift: a run of $shift_points or more consecutive points on one side of the centre (a
--     point on the centre breaks the run);
--   trend: a run of $trend_points or more consecutive points each higher (or each lower) than
--     the one before (an equal value breaks the run);
--   two_of_three: two or three of three consecutive points beyond two sigma (two thirds of the
--     way to a limit) on the same side, all three on that side of the centre.
-- A series whose baseline has fewer than $min_baseline_points points gets no limits and no
-- signals. The signal's side comes from the highest-priority rule that fired (trend, shift,
-- two_of_three, outside_limits): improvement when that side is the KPI's better direction,
-- concern when it is the worse one, neither for KPIs with no better direction, and
-- common_cause when no rule fired. Months without a row (a zero denominator) are skipped:
-- the series is the published points in order. Grain: one row per force per KPI per month.
with kpis as (
    select * from kpi_monthly
    where breakdown = 'all'
),

directions as (
    select * from kpi_catalogue
),

baselines as (
    select * from spc_baselines
),

series as (
    select
        kpis.force_code,
        kpis.kpi_id,
        kpis.period,
        kpis.value,
        directions.better,
        -- A force's own row wins whole: its blank (open) end is not filled from `*`.
        if(own.force_code is null, every_force.baseline_first, own.baseline_first) as baseline_first,
        if(own.force_code is null, every_force.baseline_last, own.baseline_last) as baseline_last
    from kpis
    inner join directions on kpis.kpi_id = directions.kpi_id
    left join baselines as own on kpis.force_code = own.force_code
    left join baselines as every_force on every_force.force_code = '*'
),

points as (
    select
        *,
        row_number() over series_order as point_number,
        coalesce(period >= baseline_first, true) and coalesce(period <= baseline_last, true) as is_baseline,
        abs(value - lag(value) over series_order) as moving_range,
        sign(value - lag(value) over series_order) as step
    from series
    window series_order as (partition by force_code, kpi_id order by period)
),

baseline_points as (
    -- A moving range belongs to the baseline when both of its points do.
    select
        *,
        is_baseline and coalesce(lag(is_baseline) over (partition by force_code, kpi_id order by period), false)
            as is_baseline_range
    from points
),

limits as (
    select
        force_code,
        kpi_id,
        count(*) filter (where is_baseline) as baseline_points,
        min(period) filter (where is_baseline) as baseline_from,
        max(period) filter (where is_baseline) as baseline_to,
        avg(value) filter (where is_baseline) as centre,
        avg(moving_range) filter (where is_baseline_range) as mean_moving_range
    from baseline_points
    group by force_code, kpi_id
),

judged as (
    select
        points.*,
        limits.baseline_points,
        limits.baseline_from,
        limits.baseline_to,
        if(limits.baseline_points >= $min_baseline_points, limits.centre, null) as centre_line,
        centre_line + 2.66 * limits.mean_moving_range as upper_limit,
        centre_line - 2.66 * limits.mean_moving_range as lower_limit,
        centre_line + 2.66 * limits.mean_moving_range * 2 / 3 as upper_two_sigma,
        centre_line - 2.66 * limits.mean_moving_range * 2 / 3 as lower_two_sigma,
        sign(points.value - centre_line) as side,
        case
            when points.value > upper_limit then 1
            when points.value < lower_limit then -1
        end as outside_side,
        case
            when points.value > upper_two_sigma then 1
            when points.value < lower_two_sigma then -1
        end as near_limit_side
    from points
    inner join limits
        on
            points.force_code = limits.force_code
            and points.kpi_id = limits.kpi_id
),

side_runs as (
    select
        *,
        -- A new island starts whenever the side changes (islands of one side of the centre).
        point_number - row_number() over (partition by force_code, kpi_id, side order by period) as side_island,
        point_number - row_number() over (partition by force_code, kpi_id, step order by period) as step_island
    from judged
),

shifts as (
    select
        *,
        if(
            side != 0 and count(*) over (partition by force_code, kpi_id, side, side_island) >= $shift_points,
            side,
            null
        ) as shift_side
    from side_runs
),

trend_runs as (
    -- Runs of equal non-zero steps: a run of k steps covers k + 1 points (its first step's
    -- predecessor included).
    select
        force_code,
        kpi_id,
        step as trend_side,
        min(point_number) - 1 as first_point,
        max(point_number) as last_point
    from side_runs
    where step != 0
    group by force_code, kpi_id, step, step_island
    having count(*) + 1 >= $trend_points
),

trends as (
    select
        shifts.*,
        trend_runs.trend_side
    from shifts
    left join trend_runs
        on
            shifts.force_code = trend_runs.force_code
            and shifts.kpi_id = trend_runs.kpi_id
            and shifts.point_number between trend_runs.first_point and trend_runs.last_point
),

windows as (
    -- Each three-point window (ending at this point) that meets two_of_three, and its side.
    select
        *,
        case
            when
                count(*) over last_three = 3
                and count(*) filter (where side = 1) over last_three = 3
                and count(*) filter (where near_limit_side = 1) over last_three >= 2
                then 1
            when
                count(*) over last_three = 3
                and count(*) filter (where side = -1) over last_three = 3
                and count(*) filter (where near_limit_side = -1) over last_three >= 2
                then -1
        end as window_side
    from trends
    window last_three as (partition by force_code, kpi_id order by period rows between 2 preceding and current row)
),

two_of_three as (
    select
        *,
        if(
            near_limit_side is not null
            and list_contains(list(window_side) over next_three, near_limit_side),
            near_limit_side,
            null
        ) as two_of_three_side
    from windows
    window next_three as (partition by force_code, kpi_id order by period rows between current row and 2 following)
),

flagged as (
    select
        *,
        coalesce(trend_side, shift_side, two_of_three_side, outside_side) as signal_side,
        concat_ws(
            ',',
            if(outside_side is not null, 'outside_limits', null),
            if(shift_side is not null, 'shift', null),
            if(trend_side is not null, 'trend', null),
            if(two_of_three_side is not null, 'two_of_three', null)
        ) as rules_fired
    from two_of_three
),

final as (
    select
        force_code,
        kpi_id,
        cast(period as date) as period,
        value,
        centre_line as centre,
        upper_limit,
        lower_limit,
        is_baseline,
        baseline_from,
        baseline_to,
        baseline_points,
        if(centre_line is null, null, nullif(rules_fired, '')) as rules,
        case
            when centre_line is null then 'too_few_points'
            when signal_side is null then 'common_cause'
            when better is null then 'neither'
            when (signal_side = 1) = (better = 'up') then 'improvement'
            else 'concern'
        end as signal
    from flagged
)

select * from final
order by force_code, kpi_id, period

-- kpi_spc: XmR statistical process control (NHS "Making Data Count") on every KPI's monthly
-- series with breakdown `all`, per force and ALL, exactly as the catalogue's Views section says.
-- Grain: one row per force per KPI per month that has a kpi_monthly row.
--   Series: the force's non-provisional rows of the KPI in month order (months without a row
--     are skipped). Provisional rows take no part: signal = 'provisional', no centre, limits
--     or rules.
--   Baseline: every point of the series unless spc_baselines fixes a window of months.
--     centre = mean of the baseline values; moving ranges |x_i - x_(i-1)| between consecutive
--     baseline points; limits = centre +/- 2.66 x mean moving range; two sigma = centre +/-
--     (2/3) x 2.66 x mean moving range. Fewer than $min_baseline_points baseline points:
--     signal = 'too_few_points' and no centre, limits or rules for the whole series.
--   Rules (a point can fire several; `rules` lists them alphabetically):
--     outside_limits: above the upper or below the lower limit;
--     shift: in a run of $shift_points or more consecutive points on one side of the centre (a
--       point on the centre breaks the run);
--     trend: in a run of $trend_points or more consecutive points each strictly higher (or
--       each strictly lower) than the one before;
--     two_of_three: beyond two sigma, in a window of 3 consecutive points of which at least 2
--       are beyond two sigma on that side and all 3 are on that side of the centre.
--   Signal: the side of the first fired rule in the order outside_limits, trend,
--     two_of_three, shift (a peak or trough takes the side of the trend run that ends there),
--     against the KPI's better direction: improvement, concern, or neither without a
--     direction; common_cause when no rule fired.
-- Means are ordered aggregates so that the floating-point sums do not depend on thread order.
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

monthly_points as (
    select
        kpis.force_code,
        kpis.kpi_id,
        kpis.period,
        kpis.value,
        kpis.provisional,
        directions.better,
        -- A force's own row wins whole: its blank (open) end is not filled from `*`.
        if(own.force_code is null, every_force.baseline_first, own.baseline_first) as baseline_first,
        if(own.force_code is null, every_force.baseline_last, own.baseline_last) as baseline_last
    from kpis
    inner join directions on kpis.kpi_id = directions.kpi_id
    left join baselines as own on kpis.force_code = own.force_code
    left join baselines as every_force on every_force.force_code = '*'
),

series as (
    select
        *,
        row_number() over series_order as point_number,
        coalesce(period >= baseline_first, true) and coalesce(period <= baseline_last, true) as is_baseline,
        abs(value - lag(value) over series_order) as moving_range,
        sign(value - lag(value) over series_order) as step
    from monthly_points
    where not provisional
    window series_order as (partition by force_code, kpi_id order by period)
),

baseline_points as (
    -- A moving range belongs to the baseline when both of its points do.
    select
        *,
        is_baseline and coalesce(lag(is_baseline) over (partition by force_code, kpi_id order by period), false)
            as is_baseline_range
    from series
),

limits as (
    select
        force_code,
        kpi_id,
        count(*) filter (where is_baseline) as baseline_points,
        min(period) filter (where is_baseline) as baseline_from,
        max(period) filter (where is_baseline) as baseline_to,
        -- fsum (Kahan-Babuska) rather than avg: a plain sum of twenty 1/3s is 1 ulp short, which
        -- would put points that lie on the centre to one side of it.
        fsum(value order by period) filter (where is_baseline)
        / count(*) filter (where is_baseline) as centre,
        fsum(moving_range order by period) filter (where is_baseline_range)
        / count(*) filter (where is_baseline_range) as mean_moving_range
    from baseline_points
    group by force_code, kpi_id
),

judged as (
    select
        series.*,
        limits.baseline_points,
        limits.baseline_from,
        limits.baseline_to,
        if(limits.baseline_points >= $min_baseline_points, limits.centre, null) as centre_line,
        centre_line + 2.66 * limits.mean_moving_range as upper_limit,
        centre_line - 2.66 * limits.mean_moving_range as lower_limit,
        centre_line + 2.0 / 3.0 * 2.66 * limits.mean_moving_range as upper_two_sigma,
        centre_line - 2.0 / 3.0 * 2.66 * limits.mean_moving_range as lower_two_sigma,
        sign(series.value - centre_line) as side,
        case
            when series.value > upper_limit then 1
            when series.value < lower_limit then -1
        end as outside_side,
        case
            when series.value > upper_two_sigma then 1
            when series.value < lower_two_sigma then -1
        end as beyond_two_sigma_side
    from series
    inner join limits
        on
            series.force_code = limits.force_code
            and series.kpi_id = limits.kpi_id
),

islands as (
    select
        *,
        -- A new island starts whenever the side (or the step's direction) changes.
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
    from islands
),

trend_runs as (
    -- Runs of equal non-zero steps: a run of k steps covers k + 1 points (its first step's
    -- predecessor included). Two runs share at most one point: a peak or a trough.
    select
        force_code,
        kpi_id,
        step as run_side,
        min(point_number) - 1 as first_point,
        max(point_number) as last_point
    from islands
    where step != 0
    group by force_code, kpi_id, step, step_island
    having count(*) + 1 >= $trend_points
),

trends as (
    -- A peak or trough ends one run and starts the opposite one: it takes the side of the run
    -- that ends there. At most one run ends at a point and at most one covers it otherwise, so
    -- each point keeps exactly one row.
    select
        shifts.*,
        coalesce(ending_run.run_side, covering_run.run_side) as trend_side
    from shifts
    left join trend_runs as ending_run
        on
            shifts.force_code = ending_run.force_code
            and shifts.kpi_id = ending_run.kpi_id
            and shifts.point_number = ending_run.last_point
    left join trend_runs as covering_run
        on
            shifts.force_code = covering_run.force_code
            and shifts.kpi_id = covering_run.kpi_id
            and shifts.point_number >= covering_run.first_point
            and shifts.point_number < covering_run.last_point
),

windows as (
    -- Each three-point window (ending at this point) that meets two_of_three, and its side.
    select
        *,
        case
            when
                count(*) over last_three = 3
                and count(*) filter (where side = 1) over last_three = 3
                and count(*) filter (where beyond_two_sigma_side = 1) over last_three >= 2
                then 1
            when
                count(*) over last_three = 3
                and count(*) filter (where side = -1) over last_three = 3
                and count(*) filter (where beyond_two_sigma_side = -1) over last_three >= 2
                then -1
        end as window_side
    from trends
    window last_three as (partition by force_code, kpi_id order by period rows between 2 preceding and current row)
),

two_of_three as (
    -- A point beyond two sigma fires when one of the three windows holding it meets the rule on its side.
    select
        *,
        if(
            beyond_two_sigma_side is not null
            and list_contains(list(window_side) over next_three, beyond_two_sigma_side),
            beyond_two_sigma_side,
            null
        ) as two_of_three_side
    from windows
    window next_three as (partition by force_code, kpi_id order by period rows between current row and 2 following)
),

flagged as (
    select
        *,
        coalesce(outside_side, trend_side, two_of_three_side, shift_side) as signal_side,
        concat_ws(
            ',',
            if(outside_side is not null, 'outside_limits', null),
            if(shift_side is not null, 'shift', null),
            if(trend_side is not null, 'trend', null),
            if(two_of_three_side is not null, 'two_of_three', null)
        ) as rules_fired
    from two_of_three
),

series_limits as (
    -- Series-wide facts, shown on provisional rows too.
    select
        force_code,
        kpi_id,
        baseline_points,
        baseline_from,
        baseline_to
    from limits
),

final as (
    select
        monthly_points.force_code,
        monthly_points.kpi_id,
        cast(monthly_points.period as date) as period,
        monthly_points.value,
        monthly_points.provisional,
        flagged.centre_line as centre,
        flagged.upper_limit,
        flagged.lower_limit,
        if(flagged.centre_line is null, null, nullif(flagged.rules_fired, '')) as rules,
        case
            when monthly_points.provisional then 'provisional'
            when flagged.centre_line is null then 'too_few_points'
            when flagged.signal_side is null then 'common_cause'
            when monthly_points.better is null then 'neither'
            when (flagged.signal_side = 1) = (monthly_points.better = 'up') then 'improvement'
            else 'concern'
        end as signal,
        flagged.upper_two_sigma,
        flagged.lower_two_sigma,
        coalesce(flagged.is_baseline, false) as is_baseline,
        series_limits.baseline_from,
        series_limits.baseline_to,
        coalesce(series_limits.baseline_points, 0) as baseline_points
    from monthly_points
    left join flagged
        on
            monthly_points.force_code = flagged.force_code
            and monthly_points.kpi_id = flagged.kpi_id
            and monthly_points.period = flagged.period
    left join series_limits
        on
            monthly_points.force_code = series_limits.force_code
            and monthly_points.kpi_id = series_limits.kpi_id
)

select * from final
order by force_code, kpi_id, period

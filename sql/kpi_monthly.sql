-- kpi_monthly: every KPI row in one long table, with Wilson score 95% intervals on
-- proportions (z = 1.959963984540054) and each row's provisional flag (set by each KPI's
-- provisional step from its settling period), sorted by force_code, kpi_id, breakdown, period.
-- Grain: one row per force (and ALL) per KPI per breakdown per month. Reads kpi_results,
-- the union of the KPI tables built from the registry.
with results as (
    select * from kpi_results
),

wilson as (
    select
        *,
        1.959963984540054 as z,
        case when is_proportion then (value + z * z / (2 * denominator)) / (1 + z * z / denominator) end
            as centre,
        case
            when is_proportion
                then
                    z * sqrt(value * (1 - value) / denominator + z * z / (4 * denominator * denominator))
                    / (1 + z * z / denominator)
        end as half_width
    from results
),

final as (
    select
        force_code,
        cast(period as date) as period,
        kpi_id,
        breakdown,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(value as double) as value,
        case when is_proportion then greatest(0.0, centre - half_width) end as ci_low,
        case when is_proportion then least(1.0, centre + half_width) end as ci_high,
        provisional
    from wilson
)

select * from final
order by force_code, kpi_id, breakdown, period

-- Rows of a ratio KPI from its items (kpi_items: force_code, breakdown, period, numerator_part,
-- denominator_part): value = sum of numerator parts / sum of denominator parts, with no
-- confidence interval (the catalogue's open_cases_per_investigator and sickness_rate). Items
-- are already limited to their force's published months; ALL pools every force's items.
-- Grain: one row per force (and ALL) per breakdown per month whose denominator is > 0.
-- The parts can be fractions (sickness days): each sum adds them in order of value, so the
-- result does not depend on how DuckDB's threads split the rows.
with items as (
    select * from kpi_items
),

summed as (
    select
        coalesce(force_code, 'ALL') as force_code,
        breakdown,
        period,
        sum(numerator_part order by numerator_part)::double as numerator,
        sum(denominator_part order by denominator_part)::double as denominator
    from items
    group by grouping sets ((force_code, breakdown, period), (breakdown, period))
),

final as (
    select
        force_code,
        breakdown,
        period,
        numerator,
        denominator,
        numerator / denominator as value
    from summed
    where denominator > 0
)

select * from final

-- One force's partial rows of a proportion KPI with case breakdowns, from its items
-- (kpi_items_all: force_code, case_id, period, is_counted, in breakdown `all`), each case's
-- combination of breakdown values (case_breakdowns) and each combination's values
-- (breakdown_combinations): the counts for `all` and for every 'dimension=value'.
-- Items are counted per combination of their case's values first, so each item is read once
-- however many dimensions there are. Grain: one row per breakdown per month with an item.
with items as (
    select * from kpi_items_all
),

dimensions as (
    select
        force_code,
        case_id,
        combination
    from case_breakdowns
),

combinations as (
    select * from breakdown_combinations
),

counted_by_combination as (
    select
        items.force_code,
        items.period,
        dimensions.combination,
        count(*) filter (where items.is_counted) as numerator,
        count(*) as denominator
    from items
    inner join dimensions
        on
            items.force_code = dimensions.force_code
            and items.case_id = dimensions.case_id
    group by items.force_code, items.period, dimensions.combination
),

per_combination as (
    select
        counted_by_combination.*,
        combinations.case_breakdowns
    from counted_by_combination
    inner join combinations on counted_by_combination.combination = combinations.combination
),

counted as (
    select
        force_code,
        'all' as breakdown,
        period,
        numerator,
        denominator
    from per_combination
    union all
    select
        force_code,
        unnest(case_breakdowns) as breakdown,
        period,
        numerator,
        denominator
    from per_combination
),

final as (
    select
        force_code,
        breakdown,
        period,
        sum(numerator)::double as numerator,
        sum(denominator)::double as denominator
    from counted
    group by force_code, breakdown, period
)

select * from final

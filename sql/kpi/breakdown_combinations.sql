-- Each combination of case breakdown values once, with its list of 'dimension=value' texts:
-- built once per session for every proportion KPI with case breakdowns, which count their items
-- per combination and then look the values up here. Grain: one row per combination.
with dimensions as (
    select * from case_breakdowns
),

final as (
    select
        combination,
        any_value(case_breakdowns) as case_breakdowns
    from dimensions
    group by combination
)

select * from final

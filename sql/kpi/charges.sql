-- charges items: one per charged case (outcome 1 or 1A) in the month of its outcome_date.
-- Unit: cases (count; every month in range is published, zeros included).
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(outcome_date) as period
    from cases
    where is_charged(outcome_code)
)

select * from final

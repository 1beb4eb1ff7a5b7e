-- sickness_rate items: one per officer row of workforce month M, with its sickness days
-- (numerator_part) and contracted days (denominator_part). Unit: share of contracted days.
with workforce as (
    select * from valid_workforce
),

final as (
    select
        force_code,
        month as period,
        sickness_days as numerator_part,
        contracted_days as denominator_part
    from workforce
)

select * from final

-- unaccredited_share items: the officers in the workforce for month M, counted when they are
-- not accredited (trainee or not yet a fully qualified specialist investigator).
-- Unit: proportion.
with workforce as (
    select * from valid_workforce
),

final as (
    select
        force_code,
        month as period,
        not accredited as is_counted
    from workforce
)

select * from final

-- breach_arrest_share items: the breaches (actions bail_breach or order_breach) dated in month
-- M, counted when the response was an arrest or a charge (breach_response arrested or charged;
-- a blank response is `unknown`, not counted). Published only where suspect_actions.csv is
-- supplied. Unit: proportion.
with actions as (
    select * from valid_suspect_actions
),

final as (
    select
        force_code,
        month_of(action_date) as period,
        coalesce(breach_response in ('arrested', 'charged'), false) as is_counted
    from actions
    where action in ('bail_breach', 'order_breach')
)

select * from final

-- protection_orders_applied / protection_orders_granted items: one per action $action
-- (order_applied or order_granted) dated in month M. Unit: count of actions (every month in
-- the range of a force that supplies suspect_actions.csv is published, zeros included).
with actions as (
    select * from valid_suspect_actions
),

final as (
    select
        force_code,
        month_of(action_date) as period
    from actions
    where action = $action
)

select * from final

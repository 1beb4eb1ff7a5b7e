-- does_not_support_at_report_share items: the cases reported in month M whose victim's stance
-- at report is recorded (supports or does_not_support), counted when it is does_not_support.
-- Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(reported_date) as period,
        victim_support_at_report = 'does_not_support' as is_counted
    from cases
    where victim_support_at_report in ('supports', 'does_not_support')
)

select * from final

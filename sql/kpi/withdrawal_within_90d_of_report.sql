-- withdrawal_within_90d_of_report items: the cases reported in month M at least 90 days before
-- D_T (reported_date <= D_T - 90), counted when the victim withdrew no more than 90 days after
-- the report (victim_withdrawal_date - reported_date <= 90). Every month gets the same 90 days
-- of follow-up, so months compare. Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        case_id,
        month_of(reported_date) as period,
        coalesce(victim_withdrawal_date - reported_date <= 90, false) as is_counted
    from cases
    where reported_date <= extract_date - 90
)

select * from final

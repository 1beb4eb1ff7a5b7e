-- withdrawal_rate items: the cases reported in month M (cohort M), counted when the victim
-- has withdrawn support (a victim_withdrawal_date on or before T). Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        case_id,
        month_of(reported_date) as period,
        victim_withdrawal_date is not null as is_counted
    from cases
)

select * from final

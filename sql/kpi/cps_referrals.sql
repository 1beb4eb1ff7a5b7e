-- cps_referrals items: one per case whose first CPS referral (cps_referral_date) is in month M.
-- Unit: count of cases.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(cps_referral_date) as period
    from cases
    where cps_referral_date is not null
)

select * from final

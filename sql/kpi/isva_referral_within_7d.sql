-- isva_referral_within_7d items: the cases reported in month M at least 7 days before D_T
-- (reported_date <= D_T - 7), counted when an ISVA referral is dated no more than 7 days after
-- the report; a referral before the report counts (the victim already had an adviser).
-- Unit: proportion.
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(reported_date) as period,
        coalesce(isva_referral_date - reported_date <= 7, false) as is_counted
    from cases
    where reported_date <= extract_date - 7
)

select * from final

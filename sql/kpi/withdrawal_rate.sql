-- withdrawal_rate: of the cases reported in month M, the share whose victim has withdrawn
-- support (a victim_withdrawal_date on or before T). Grain: one row per force (and ALL) per
-- month with reports. Unit: proportion.
with cases as (
    select * from valid_cases
),

cohort as (
    select
        force_code,
        month_of(reported_date) as period,
        victim_withdrawal_date is not null as has_withdrawn,
    from cases
),

final as (
    select
        coalesce(force_code, 'ALL') as force_code,
        period,
        count(*) filter (where has_withdrawn) as numerator,
        count(*) as denominator,
        numerator / denominator as value,
    from cohort
    group by grouping sets ((force_code, period), (period))
)

select * from final

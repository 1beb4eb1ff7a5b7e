-- open_cases_per_investigator / investigators_over_15_cases items: at each month end E, one
-- item per officer in charge of at least one open case, with the number of open cases they
-- hold (numerator_part), 1 for the officer (denominator_part), and is_counted when they hold
-- more than 15. An officer is the pair (force_code, officer_id). Unit: cases per officer.
with open_cases as (
    select * from open_cases_at_month_end
),

officers as (
    select
        force_code,
        period,
        officer_id,
        count(*) as open_case_count
    from open_cases
    where officer_id is not null
    group by force_code, period, officer_id
),

final as (
    select
        force_code,
        period,
        open_case_count::double as numerator_part,
        1.0 as denominator_part,
        open_case_count > 15 as is_counted
    from officers
)

select * from final

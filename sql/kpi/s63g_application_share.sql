-- s63g_application_share items: the cases with a suspect_id whose outcome (15 or 16: evidential
-- difficulties, the suspect not charged) is dated in month M, counted when the case has at least
-- one action s63g_applied, whatever its date (an application under section 63G of PACE to keep
-- the uncharged suspect's DNA and fingerprints). Published only where suspect_actions.csv is
-- supplied. Unit: proportion.
with cases as (
    select * from valid_cases
),

actions as (
    select * from valid_suspect_actions
),

applications as (
    select distinct
        force_code,
        case_id
    from actions
    where action = 's63g_applied'
),

final as (
    select
        cases.force_code,
        month_of(cases.outcome_date) as period,
        applications.case_id is not null as is_counted
    from cases
    left join applications
        on
            cases.force_code = applications.force_code
            and cases.case_id = applications.case_id
    where
        cases.suspect_id is not null
        and cases.outcome_code in ('15', '16')
)

select * from final

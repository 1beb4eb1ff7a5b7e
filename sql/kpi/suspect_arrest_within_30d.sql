-- suspect_arrest_within_30d items: the cases reported in month M that have a suspect_id, at
-- least 30 days before D_T (reported_date <= D_T - 30), counted when the suspect was arrested or
-- voluntarily interviewed no more than 30 days after the report (action_date - reported_date
-- <= 30; an action before the report counts). Published only where suspect_actions.csv is
-- supplied (kpi_ranges keeps those forces). Unit: proportion.
with cases as (
    select * from valid_cases
),

actions as (
    select * from valid_suspect_actions
),

eligible as (
    select
        force_code,
        case_id,
        reported_date
    from cases
    where
        suspect_id is not null
        and reported_date <= extract_date - 30
),

arrested_in_time as (
    select distinct
        eligible.force_code,
        eligible.case_id
    from eligible
    inner join actions
        on
            eligible.force_code = actions.force_code
            and eligible.case_id = actions.case_id
            and actions.action in ('arrest', 'voluntary_interview')
            and actions.action_date - eligible.reported_date <= 30
),

final as (
    select
        eligible.force_code,
        month_of(eligible.reported_date) as period,
        arrested_in_time.case_id is not null as is_counted
    from eligible
    left join arrested_in_time
        on
            eligible.force_code = arrested_in_time.force_code
            and eligible.case_id = arrested_in_time.case_id
)

select * from final

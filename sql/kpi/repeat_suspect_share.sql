-- repeat_suspect_share items: the cases reported in month M that have a suspect_id, counted
-- when that suspect is on at least two valid cases of the same force (any dates; pseudonyms
-- are per force, so one id in two forces is two people). Unit: proportion.
with cases as (
    select * from valid_cases
),

suspect_cases as (
    select
        force_code,
        reported_date,
        count(*) over (partition by force_code, suspect_id) as cases_of_suspect
    from cases
    where suspect_id is not null
),

final as (
    select
        force_code,
        month_of(reported_date) as period,
        cases_of_suspect >= 2 as is_counted
    from suspect_cases
)

select * from final

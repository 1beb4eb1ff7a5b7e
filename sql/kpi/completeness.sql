-- completeness_* items: the cases reported in month M (for suspect fields, only those with a
-- suspect_id), counted when the field named $field is present and not `unknown` (ages: present).
-- Unit: proportion.
with cases as (
    select * from valid_cases
),

fields as (
    select
        force_code,
        reported_date,
        suspect_id,
        case $field
            when 'victim_age' then victim_age is not null
            when 'victim_sex' then coalesce(victim_sex, 'unknown') != 'unknown'
            when 'victim_ethnicity' then coalesce(victim_ethnicity, 'unknown') != 'unknown'
            when 'relationship' then coalesce(relationship, 'unknown') != 'unknown'
            when 'suspect_age' then suspect_age is not null
            when 'suspect_sex' then coalesce(suspect_sex, 'unknown') != 'unknown'
            when 'suspect_ethnicity' then coalesce(suspect_ethnicity, 'unknown') != 'unknown'
            else error('completeness: no such field ' || $field)
        end as is_known
    from cases
),

final as (
    select
        force_code,
        month_of(reported_date) as period,
        is_known as is_counted
    from fields
    where not starts_with($field, 'suspect_') or suspect_id is not null
)

select * from final

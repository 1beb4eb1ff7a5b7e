-- A breakdown KPI's items (kpi_items_all: items of cases, with case_id, in breakdown `all`)
-- repeated once per dimension of their case, with breakdown = 'dimension=value': offence group
-- (rape when offence_code starts 19), victim sex, age band, ethnicity, relationship and domestic
-- abuse, a blank code counting as unknown. Grain: one row per item per breakdown.
with items as (
    select * from kpi_items_all
),

cases as (
    select * from valid_cases
),

dimensions as (
    select
        force_code,
        case_id,
        [
            'offence_group=' || if(starts_with(offence_code, '19'), 'rape', 'other_sexual_offence'),
            'victim_sex=' || coalesce(victim_sex, 'unknown'),
            'victim_age_band=' || case
                when victim_age is null then 'unknown'
                when victim_age <= 15 then '0-15'
                when victim_age <= 17 then '16-17'
                when victim_age <= 24 then '18-24'
                when victim_age <= 34 then '25-34'
                when victim_age <= 44 then '35-44'
                when victim_age <= 54 then '45-54'
                else '55+'
            end,
            'victim_ethnicity=' || coalesce(victim_ethnicity, 'unknown'),
            'relationship=' || coalesce(relationship, 'unknown'),
            'domestic_abuse=' || coalesce(cast(domestic_abuse as varchar), 'unknown')
        ] as case_breakdowns
    from cases
),

by_dimension as (
    select
        items.* exclude (breakdown),
        unnest(dimensions.case_breakdowns) as breakdown
    from items
    inner join dimensions
        on
            items.force_code = dimensions.force_code
            and items.case_id = dimensions.case_id
),

final as (
    select * from items
    union all by name
    select * from by_dimension
)

select * from final

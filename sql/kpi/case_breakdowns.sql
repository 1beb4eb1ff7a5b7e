-- The breakdown values of every valid case, built once for the KPIs with case breakdowns:
-- offence group (rape when offence_code starts 19), victim sex, age band, ethnicity,
-- relationship and domestic abuse, each as 'dimension=value', a blank code counting as unknown.
-- Each list of values also gets a short text key (`combination`), so the KPIs count items per
-- key, cheaper to group on than a list, before they look the values up. Grain: one row per case.
with cases as (
    select * from valid_cases
),

values_of_case as (
    select
        force_code,
        case_id,
        if(starts_with(offence_code, '19'), 'rape', 'other_sexual_offence') as offence_group,
        coalesce(victim_sex, 'unknown') as victim_sex,
        case
            when victim_age is null then 'unknown'
            when victim_age <= 15 then '0-15'
            when victim_age <= 17 then '16-17'
            when victim_age <= 24 then '18-24'
            when victim_age <= 34 then '25-34'
            when victim_age <= 44 then '35-44'
            when victim_age <= 54 then '45-54'
            else '55+'
        end as victim_age_band,
        coalesce(victim_ethnicity, 'unknown') as victim_ethnicity,
        coalesce(relationship, 'unknown') as relationship,
        coalesce(cast(domestic_abuse as varchar), 'unknown') as domestic_abuse
    from cases
),

final as (
    select
        force_code,
        case_id,
        [
            'offence_group=' || offence_group,
            'victim_sex=' || victim_sex,
            'victim_age_band=' || victim_age_band,
            'victim_ethnicity=' || victim_ethnicity,
            'relationship=' || relationship,
            'domestic_abuse=' || domestic_abuse
        ] as case_breakdowns,
        concat_ws(
            '|', offence_group, victim_sex, victim_age_band, victim_ethnicity, relationship, domestic_abuse
        ) as combination
    from values_of_case
)

select * from final

-- The breakdown values of every valid case, built once for the KPIs with case breakdowns:
-- offence group (rape when offence_code starts 19), victim sex, age band, ethnicity,
-- relationship and domestic abuse, each as 'dimension=value', a blank code counting as unknown.
-- Grain: one row per case.
with cases as (
    select * from valid_cases
),

final as (
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
)

select * from final

-- The breakdown values of every valid case, built once for the KPIs with case breakdowns:
-- offence group (rape when offence_code starts 19), victim sex, age band, ethnicity,
-- relationship and domestic abuse, a blank code counting as unknown, with a short text key of
-- them all (`combination`): the KPIs count items per key, cheaper to group on than a list, and
-- look up its 'dimension=value' list in breakdown_combinations (built once per combination, not
-- once per case). Grain: one row per case.
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
        *,
        concat_ws(
            '|', offence_group, victim_sex, victim_age_band, victim_ethnicity, relationship, domestic_abuse
        ) as combination
    from values_of_case
)

select * from final

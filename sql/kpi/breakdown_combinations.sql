-- Each combination of case breakdown values once, with its list of 'dimension=value' texts:
-- built once per session for every proportion KPI with case breakdowns, which count their items
-- per combination and then look the values up here. Grain: one row per combination.
with dimensions as (
    select distinct
        combination,
        offence_group,
        victim_sex,
        victim_age_band,
        victim_ethnicity,
        relationship,
        domestic_abuse
    from case_breakdowns
),

final as (
    select
        combination,
        [
            'offence_group=' || offence_group,
            'victim_sex=' || victim_sex,
            'victim_age_band=' || victim_age_band,
            'victim_ethnicity=' || victim_ethnicity,
            'relationship=' || relationship,
            'domestic_abuse=' || domestic_abuse
        ] as case_breakdowns
    from dimensions
)

select * from final

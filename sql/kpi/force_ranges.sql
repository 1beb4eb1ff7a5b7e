-- Published months of each force: from the month of its earliest valid reported_date to the
-- month of D_T. Grain: one row per force. KPI queries use it to keep items inside their
-- force's range (a force contributes to ALL only in months inside its own range).
with cases as (
    select * from valid_cases
),

final as (
    select
        force_code,
        month_of(min(reported_date)) as first_period,
        month_of(max(extract_date)) as last_period,
        max(extract_date) as extract_date,
        max(extracted_at) as extracted_at
    from cases
    group by force_code
)

select * from final

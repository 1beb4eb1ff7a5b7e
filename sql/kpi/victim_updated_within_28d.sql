-- victim_updated_within_28d items: at each month end E, the cases open at E that were reported
-- at least 28 days before E (reported_date <= E - 28) and whose victim had not withdrawn by E,
-- counted when the victim had a contact of type update with E - 28 < contact_date <= E.
-- Unit: proportion.
with open_cases as (
    select * from open_cases_at_month_end
),

contacts as (
    select * from valid_contacts
),

eligible as (
    select *
    from open_cases
    where
        reported_date <= month_end - 28
        and (victim_withdrawal_date is null or victim_withdrawal_date > month_end)
),

month_ends as (
    select * from force_month_ends
),

-- A month end E has an update in (E - 28, E] exactly when some update dated d has
-- d <= E < d + 28. Month ends are at least 28 days apart, so an update can only cover the end of
-- its own month, or (when D_T falls in the next month) that month's end D_T: two candidates
-- per update, matched on equality instead of a range join.
update_months as (
    select
        force_code,
        case_id,
        contact_date,
        unnest([month_of(contact_date), cast(month_of(contact_date) + interval 1 month as date)]) as period
    from contacts
    where contact_type = 'update'
),

covered as (
    select distinct
        month_ends.force_code,
        month_ends.period,
        update_months.case_id
    from update_months
    inner join month_ends
        on
            update_months.force_code = month_ends.force_code
            and update_months.period = month_ends.period
    where
        month_ends.month_end - 28 < update_months.contact_date
        and update_months.contact_date <= month_ends.month_end
),

final as (
    select
        eligible.force_code,
        eligible.period,
        covered.case_id is not null as is_counted
    from eligible
    left join covered
        on
            eligible.force_code = covered.force_code
            and eligible.period = covered.period
            and eligible.case_id = covered.case_id
)

select * from final

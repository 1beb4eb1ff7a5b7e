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

updated as (
    select distinct
        eligible.force_code,
        eligible.period,
        eligible.case_id
    from eligible
    inner join contacts
        on
            eligible.force_code = contacts.force_code
            and eligible.case_id = contacts.case_id
            and contacts.contact_type = 'update'
            and eligible.month_end - 28 < contacts.contact_date
            and eligible.month_end >= contacts.contact_date
),

final as (
    select
        eligible.force_code,
        eligible.period,
        updated.case_id is not null as is_counted
    from eligible
    left join updated
        on
            eligible.force_code = updated.force_code
            and eligible.period = updated.period
            and eligible.case_id = updated.case_id
)

select * from final

-- Whether each extract is used, superseded or rejected, with every reason it was rejected.
-- Grain: one row per extract found in the inbox. $threshold is the largest share of a
-- table's rows that may be quarantined before the whole extract is rejected.
create or replace table extract_verdicts as
with inventory as (
    select * from extract_inventory
),

screened_counts as (
    select * from extract_table_counts
),

row_reasons as (
    select
        extract_id,
        table_name,
        line_number,
        unnest(reasons) as reason
    from screened_rows
),

broken_rules as (
    select
        extract_id,
        table_name,
        split_part(reason, ':', 1) as rule_id,
        count(*) as rule_rows,
        min(line_number) as first_line
    from row_reasons
    group by extract_id, table_name, rule_id
),

commonest_rule as (
    select
        extract_id,
        table_name,
        arg_max(
            rule_id || ' (' || rule_rows || ' rows, first at line ' || first_line || ')',
            (rule_rows, rule_id)
        ) as described
    from broken_rules
    group by extract_id, table_name
),

over_threshold as (
    select
        screened_counts.extract_id,
        list(
            screened_counts.extract_id || '/' || screened_counts.table_name || '.csv: '
            || screened_counts.rows_quarantined || ' of ' || screened_counts.rows_read
            || ' rows quarantined (' || round(100.0 * screened_counts.rows_quarantined / screened_counts.rows_read, 1)
            || '%), more than the ' || round(100.0 * $threshold, 1) || '% allowed; most often '
            || commonest_rule.described
            order by screened_counts.table_name
        ) as reasons
    from screened_counts
    inner join commonest_rule
        on
            screened_counts.extract_id = commonest_rule.extract_id
            and screened_counts.table_name = commonest_rule.table_name
    -- A quotient, not a product: at 0.29, 29 of 100 is 29% (not more), yet 0.29 * 100 = 28.999999999999996.
    where screened_counts.rows_quarantined / screened_counts.rows_read > $threshold
    group by screened_counts.extract_id
),

load_problems as (
    select
        extract_id,
        list(problem order by problem) as reasons
    from stage_problems
    group by extract_id
),

judged as (
    select
        inventory.extract_id,
        inventory.path,
        inventory.force_code,
        inventory.extracted_at,
        inventory.extract_date,
        inventory.schema_version,
        inventory.source_system,
        list_concat(
            inventory.problems,
            coalesce(load_problems.reasons, []),
            coalesce(over_threshold.reasons, [])
        ) as reasons
    from inventory
    left join load_problems on inventory.extract_id = load_problems.extract_id
    left join over_threshold on inventory.extract_id = over_threshold.extract_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by force_code, len(reasons) = 0
            order by extracted_at desc, extract_id desc
        ) as newest_rank
    from judged
),

final as (
    select
        extract_id,
        path,
        force_code,
        extracted_at,
        extract_date,
        schema_version,
        source_system,
        reasons,
        case
            when len(reasons) > 0 then 'rejected'
            when newest_rank = 1 then 'used'
            else 'superseded'
        end as status
    from ranked
)

select * from final

-- The published months of the forces that take part in one KPI: every force, or, for a KPI
-- published only where an optional file is supplied ($required_file, e.g. suspect_actions),
-- only the forces whose used extract has that file. Items outside these ranges are dropped,
-- count months are generated from them, and ALL's months and provisional flag come from them,
-- so such a KPI's ALL pools the supplying forces alone. Grain: one row per taking-part force.
with ranges as (
    select * from force_ranges
),

supplied as (
    select * from force_supplied_files
    where table_name = $required_file
),

final as (
    select ranges.*
    from ranges
    where
        $required_file = ''
        or ranges.force_code in (select supplied.force_code from supplied)
)

select * from final

"""SQL that types staged rows and lists every rule each row breaks.

The statements are generated from `pipelines.rules` (itself generated from the
contract), so there is one declaration of each rule. Output: `screened_<table>` with the
typed columns and a `reasons` list; an empty list means the row is valid.
"""

from __future__ import annotations

from pipelines.contract import Table
from pipelines.rules import ALL_RULES, case_has_column, typed_expression


def screen_sql(table: Table) -> str:
    """`create table screened_<table>`: typed columns plus a list of broken rules per row."""
    rules = ALL_RULES[table.name]
    typed = ",\n        ".join(f"{typed_expression(c)} as {c.name}" for c in table.columns)
    reasons = ",\n            ".join(
        f"case when {rule.violation} then '{rule.rule_id}: ' || {rule.detail} end" for rule in rules
    )
    key_copies = ""
    if table.key:
        key = ", ".join(f"raw.{k}" for k in table.key)
        not_null = " and ".join(f"raw.{k} is not null" for k in table.key)
        key_copies = (
            f"case when {not_null} then count(*) over (partition by raw.extract_id, {key}) else 1 end as key_copies,"
        )
    reference_join, has_valid_case = "", ""
    if table.case_reference:
        case_columns = "".join(f", {c}" for c in table.case_must_have)
        reference_join = (
            f"left join (select extract_id, case_id{case_columns} from screened_cases where len(reasons) = 0) "
            "as valid_case on valid_case.extract_id = raw.extract_id "
            "and valid_case.case_id = raw.case_id"
        )
        has_valid_case = "valid_case.case_id is not null as has_valid_case," + "".join(
            f" case when valid_case.case_id is not null then valid_case.{c} is not null end as {case_has_column(c)},"
            for c in table.case_must_have
        )
    return f"""
-- Typed rows of {table.name} and the contract rules each breaks (generated from pipelines/rules.py).
create or replace table screened_{table.name} as
with checked as (
    select
        {key_copies}
        {has_valid_case}
        raw.*,
    from stage_{table.name} as raw
    {reference_join}
)

select
    raw.extract_id,
    raw.line_number,
    typed.*,
    list_filter([
        {reasons}
    ], reason -> reason is not null) as reasons,
from checked as raw
inner join extract_inventory as ext on ext.extract_id = raw.extract_id,
    lateral (select {typed}) as typed
"""

"""Row rules compiled from the contract: one list, two executors.

Each `Rule` is one contract rule for one table. The quarantine SQL (DuckDB, set-based,
any size) and the Great Expectations suites in `expectations/` are both generated from
this list, so what quarantines a row and what the quality gate checks cannot drift
apart: `tests/unit/test_rules_agree_with_gx.py` runs both on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.contract import TABLES, Column, Table

# Strict text forms. DuckDB's casts alone are too lenient (they take `2026-2-3`, and a
# timestamp without an offset in the session zone), so a value must match its pattern
# *and* cast. Year 0000 is no calendar date (DuckDB would read it as 1 BC); years 0001-9999.
YEAR_PATTERN = r"(000[1-9]|00[1-9]\d|0[1-9]\d{2}|[1-9]\d{3})"
DATE_PATTERN = YEAR_PATTERN + r"-\d{2}-\d{2}"
TIMESTAMP_PATTERN = (
    YEAR_PATTERN + r"-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
    r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)"
)
INTEGER_PATTERN = r"-?\d+"
NUMBER_PATTERN = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
MONTH_PATTERN = YEAR_PATTERN + r"-(0[1-9]|1[0-2])"
BOOLEAN_VALUES = ("true", "false")

TYPE_HINTS = {
    "date": "a date YYYY-MM-DD",
    "timestamp": "an ISO 8601 timestamp with an offset or Z",
    "integer": "a whole number",
    "number": "a finite number",
    "boolean": "true or false",
    "month": "a month YYYY-MM",
}


def sql_literal(text: str) -> str:
    """Quote a constant from the contract (never user data) as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def typed_expression(column: Column) -> str:
    """SQL turning the raw text column into its contract type (NULL when unparseable)."""
    raw = f"raw.{column.name}"
    if column.type in ("string", "code"):
        return raw
    if column.type == "boolean":
        return f"case {raw} when 'true' then true when 'false' then false end"
    if column.type == "date":
        return f"case when regexp_full_match({raw}, '{DATE_PATTERN}') then try_cast({raw} as date) end"
    if column.type == "timestamp":
        # DuckDB needs seconds; ISO 8601 lets them be left out.
        with_seconds = (
            f"case when regexp_full_match({raw}, '.{{16}}(Z|[+-].*)') "
            f"then regexp_replace({raw}, '^(.{{16}})', '\\1:00') else {raw} end"
        )
        return (
            f"case when regexp_full_match({raw}, '{TIMESTAMP_PATTERN}') "
            f"then try_cast({with_seconds} as timestamptz) end"
        )
    if column.type == "integer":
        return f"case when regexp_full_match({raw}, '{INTEGER_PATTERN}') then try_cast({raw} as bigint) end"
    if column.type == "number":
        # `1e400` matches the pattern but casts to infinity, which no measure can use.
        number = f"try_cast({raw} as double)"
        return f"case when regexp_full_match({raw}, '{NUMBER_PATTERN}') and isfinite({number}) then {number} end"
    if column.type == "month":
        return f"case when regexp_full_match({raw}, '{MONTH_PATTERN}') then cast({raw} || '-01' as date) end"
    raise ValueError(f"unknown column type {column.type!r}")


@dataclass(frozen=True)
class Rule:
    """One contract rule for one table.

    `violation` is a SQL condition over `raw` (text as read), `typed` (parsed values),
    `ext` (the extract's T and D_T) and window counts; `detail` a SQL string expression
    that explains the failure on one row. `expectation` is the GX form of the rule as
    checked on valid rows, or None where GX cannot see the rule (parsing happens before
    typed rows exist; key and case reference rules are checked by the chunked GX run).
    """

    rule_id: str
    table: str
    violation: str
    detail: str
    expectation: dict | None = None
    uses: tuple[str, ...] = field(default=())


def not_null_condition(column: str) -> dict:
    """GX's engine-neutral row condition `column IS NOT NULL` (runs on pandas and on SQL alike)."""
    return {"type": "nullity", "column": {"name": column}, "is_null": False}


def in_set_condition(column: str, values) -> dict:
    """GX's engine-neutral row condition `column IN (values)`."""
    return {"type": "comparison", "column": {"name": column}, "operator": "IN", "parameter": list(values)}


def _expect(kind: str, rule_id: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"rule_id": rule_id}}


def _value(column: str) -> str:
    return f"'''' || raw.{column} || ''''"


def column_rules(table: Table, column: Column) -> list[Rule]:
    """Required, parse, code-list and range rules of one column."""
    name, rules = column.name, []
    prefix = f"{table.name}.{name}"
    if column.required:
        rules.append(
            Rule(
                f"{prefix}.required",
                table.name,
                f"raw.{name} is null",
                sql_literal(f"{name}: required value is blank"),
                _expect("expect_column_values_to_not_be_null", f"{prefix}.required", column=name),
            )
        )
    if column.type in TYPE_HINTS:
        rules.append(
            Rule(
                f"{prefix}.parse",
                table.name,
                f"raw.{name} is not null and typed.{name} is null",
                f"{sql_literal(name + ': ')} || {_value(name)} || {sql_literal(' is not ' + TYPE_HINTS[column.type])}",
            )
        )
    if column.codes:
        codes = ", ".join(sql_literal(c) for c in column.codes)
        rules.append(
            Rule(
                f"{prefix}.code_list",
                table.name,
                f"raw.{name} is not null and raw.{name} not in ({codes})",
                f"{sql_literal(name + ': ')} || {_value(name)} || "
                f"{sql_literal(' is not in the code list (' + ', '.join(column.codes) + ')')}",
                _expect(
                    "expect_column_values_to_be_in_set",
                    f"{prefix}.code_list",
                    column=name,
                    value_set=list(column.codes),
                ),
            )
        )
    if column.min_value is not None or column.max_value is not None:
        low, high = column.min_value, column.max_value
        low_op = "<=" if column.min_exclusive else "<"
        tests = []
        if low is not None:
            tests.append(f"typed.{name} {low_op} {low:g}")
        if high is not None:
            tests.append(f"typed.{name} > {high:g}")
        bounds = f"{'>' if column.min_exclusive else '>='} {low:g}" if low is not None else ""
        if high is not None:
            bounds = f"{bounds} and <= {high:g}" if bounds else f"<= {high:g}"
        kwargs = {"column": name, "min_value": low, "max_value": high}
        if column.min_exclusive:
            kwargs["strict_min"] = True
        rules.append(
            Rule(
                f"{prefix}.range",
                table.name,
                f"({' or '.join(tests)})",
                f"{sql_literal(name + ': ')} || {_value(name)} || {sql_literal(' is not ' + bounds)}",
                _expect("expect_column_values_to_be_between", f"{prefix}.range", **kwargs),
            )
        )
    return rules


def after_t_rules(table: Table) -> list[Rule]:
    """No date, timestamp or month may be after the extract's T."""
    rules = []
    for column in table.columns:
        name = column.name
        if column.type == "date" or column.type == "month":
            limit, words = "ext.extract_date", "after the extract date"
        elif column.type == "timestamp":
            limit, words = "ext.extracted_at", "after the extract's extracted_at"
        else:
            continue
        rule_id = f"{table.name}.{name}.after_extract"
        rules.append(
            Rule(
                rule_id,
                table.name,
                f"typed.{name} > {limit}",
                f"{sql_literal(name + ': ')} || {_value(name)} || {sql_literal(' is ' + words)}",
                _expect(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    rule_id,
                    column_A=limit.split(".")[1],
                    column_B=name,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
            )
        )
    return rules


def row_rules(table: Table) -> list[Rule]:
    """Ordering, pairing and comparison rules between columns of one row."""
    rules = []
    for order in table.orders:
        rule_id = f"{table.name}.{order.later}.not_before_{order.earlier}"
        rules.append(
            Rule(
                rule_id,
                table.name,
                f"typed.{order.earlier} > typed.{order.later}",
                sql_literal(f"{order.later} is before {order.earlier}"),
                _expect(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    rule_id,
                    column_A=order.later,
                    column_B=order.earlier,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
            )
        )
    for first, second in table.both_or_neither:
        for present, absent in ((first, second), (second, first)):
            rule_id = f"{table.name}.{absent}.present_with_{present}"
            rules.append(
                Rule(
                    rule_id,
                    table.name,
                    f"raw.{present} is not null and raw.{absent} is null",
                    sql_literal(f"{present} is given without {absent}"),
                    _expect(
                        "expect_column_values_to_not_be_null",
                        rule_id,
                        column=absent,
                        row_condition=not_null_condition(present),
                    ),
                )
            )
    for need in table.required_when:
        rule_id = f"{table.name}.{need.column}.required_for_{need.when_column}"
        values = ", ".join(sql_literal(v) for v in need.values)
        rules.append(
            Rule(
                rule_id,
                table.name,
                f"raw.{need.column} is null and raw.{need.when_column} in ({values})",
                sql_literal(f"{need.column}: required value is blank (required when {need.when_column} is ")
                + f" || {_value(need.when_column)} || "
                + sql_literal(")"),
                _expect(
                    "expect_column_values_to_not_be_null",
                    rule_id,
                    column=need.column,
                    row_condition=in_set_condition(need.when_column, need.values),
                ),
            )
        )
    for lower, upper in table.not_above:
        rule_id = f"{table.name}.{lower}.not_above_{upper}"
        rules.append(
            Rule(
                rule_id,
                table.name,
                f"typed.{lower} > typed.{upper}",
                sql_literal(f"{lower} is more than {upper}"),
                _expect(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    rule_id,
                    column_A=upper,
                    column_B=lower,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
            )
        )
    return rules


def key_rule(table: Table) -> list[Rule]:
    """Every copy of a duplicated key is quarantined (which one is right is unknown)."""
    if not table.key:
        return []
    key = "_".join(table.key)
    rule_id = f"{table.name}.{key}.unique"
    shown = " || ', ' || ".join(f"{sql_literal(k + '=')} || raw.{k}" for k in table.key)
    columns = ["force_code", *table.key]
    return [
        Rule(
            rule_id,
            table.name,
            "key_copies > 1",
            f"{sql_literal('duplicated key: ')} || {shown} || {sql_literal(' appears ')} "
            f"|| key_copies || {sql_literal(' times')}",
            _expect(
                "expect_compound_columns_to_be_unique",
                rule_id,
                column_list=columns,
                ignore_row_if="any_value_is_missing",
            ),
        )
    ]


def case_has_column(column: str) -> str:
    """The screened and gate column saying whether the row's valid case has `column` filled in
    (null where the row has no valid case: that breaks the reference rule instead)."""
    return f"case_has_{column}"


def reference_rule(table: Table) -> list[Rule]:
    """A device, contact or suspect action must belong to a valid case of the same extract, and a
    suspect action's case must have a suspect."""
    if not table.case_reference:
        return []
    rule_id = f"{table.name}.case_id.valid_case"
    rules = [
        Rule(
            rule_id,
            table.name,
            "raw.case_id is not null and not has_valid_case",
            f"{sql_literal('case_id: ')} || {_value('case_id')} || "
            f"{sql_literal(' is not a valid case of this extract')}",
            _expect(
                "expect_column_values_to_be_in_set",
                rule_id,
                column="has_valid_case",
                value_set=[True],
            ),
        )
    ]
    for column in table.case_must_have:
        rule_id = f"{table.name}.case_id.case_has_{column}"
        rules.append(
            Rule(
                rule_id,
                table.name,
                f"not {case_has_column(column)}",
                f"{sql_literal('case_id: ')} || {_value('case_id')} || {sql_literal(' is a case without a ' + column)}",
                _expect(
                    "expect_column_values_to_be_in_set",
                    rule_id,
                    column=case_has_column(column),
                    value_set=[True],
                ),
            )
        )
    return rules


def rules_for(table: Table) -> list[Rule]:
    """Every rule of one table, in a stable order."""
    rules: list[Rule] = []
    for column in table.columns:
        rules.extend(column_rules(table, column))
    return [*rules, *after_t_rules(table), *row_rules(table), *key_rule(table), *reference_rule(table)]


ALL_RULES: dict[str, list[Rule]] = {t.name: rules_for(t) for t in TABLES}

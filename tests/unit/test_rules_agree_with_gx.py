"""The quarantine SQL and the Great Expectations suites are two executors of one rule list:
on random rows, every rule GX can see (running in DuckDB, as the gate does) flags exactly the
rows the SQL flags, for every contract table (the optional suspect_actions and victim_survey
included, with their rules: order_type required for order actions, actions only on valid cases
that have a suspect, survey items 1-5, unique response ids, dates not after T)."""

import tempfile
from datetime import UTC, date, datetime

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines.contract import CASES, DEVICES, SUSPECT_ACTIONS, VICTIM_SURVEY, WORKFORCE, Table
from pipelines.quality import _gx, gate_view_sql, load_suite
from pipelines.screening import screen_sql
from pipelines.staging import stage_table_ddl

T = datetime(2026, 6, 15, 21, 30, tzinfo=UTC)

DATES = ["2026-01-10", "2026-01-09", "2026-02-01", "2026-06-15", "2026-06-16", "2026-2-1", None]
STAMPS = ["2026-03-01T10:00:00Z", "2026-03-01T09:00:00+01:00", "2026-06-15T21:30:01Z", "2026-03-01T10:00", None]
VALUES = {
    "date": DATES,
    "timestamp": STAMPS,
    "integer": ["30", "0", "1", "5", "6", "120", "121", "-1", "x", None],
    "number": ["20", "0", "0.5", "21", "-1", "abc", None],
    "boolean": ["true", "false", "TRUE", None],
    "month": ["2026-01", "2026-06", "2026-07", "2026-13", None],
}


def column_values(table: Table, name: str):
    column = table.column(name)
    if column.codes:
        return st.sampled_from([*column.codes, "bogus", None])
    if column.type in VALUES:
        return st.sampled_from(VALUES[column.type])
    if name == "case_id":
        return st.sampled_from(["C1", "C2", "C3", None])
    return st.sampled_from(["K1", "K2", "K3", None])


def rows_of(table: Table):
    return st.lists(st.fixed_dictionaries({n: column_values(table, n) for n in table.column_names}), max_size=25)


D_T = date(2026, 6, 15)


def screen(con, table: Table, rows: list[dict]) -> None:
    con.execute(stage_table_ddl(table))
    for line, row in enumerate(rows, start=2):
        con.execute(
            f"insert into stage_{table.name} values (?, ?, {', '.join('?' * len(row))})",
            ["X/1", line, *(row[name] for name in table.column_names)],
        )
    con.execute(screen_sql(table))


_context = []


def gx_source(database: str):
    """A GX SQL data source on one DuckDB file, as the gate uses (one GX context for the module)."""
    gx = _gx()
    if not _context:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        _context.append(gx.get_context(mode="ephemeral"))
        _context[0].variables.progress_bars = ProgressBarsConfig(globally=False)
    name = f"rows{len(_context)}"
    _context.append(name)
    return _context[0].data_sources.add_sql(name, connection_string=f"duckdb:///{database}")


def compare(table: Table, cases: list[dict], rows: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = f"{folder}/rows.duckdb"
        con = duckdb.connect(database)
        con.execute("create table extract_inventory (extract_id varchar, extracted_at timestamptz, extract_date date)")
        con.execute("insert into extract_inventory values ('X/1', ?, ?)", [T, D_T])
        screen(con, CASES, cases)
        if table is not CASES:
            screen(con, table, rows)
        # The gate's own view, over all screened rows instead of the valid ones.
        screened = f"""(
            select s.*, 'FFF' as force_code, ext.extracted_at, ext.extract_date
            from screened_{table.name} as s, extract_inventory as ext
        )"""
        valid_cases = "(select 'FFF' as force_code, case_id, suspect_id from screened_cases where len(reasons) = 0)"
        con.execute(f"create table gate_rows as {gate_view_sql(table, screened, valid_cases)}")
        reasons = dict(con.execute("select line_number, reasons from gate_rows").fetchall())
        con.close()
        if not reasons:
            return
        batch = gx_source(database).add_table_asset("gate_rows", table_name="gate_rows")
        outcome = batch.add_batch_definition_whole_table("all").get_batch().validate(
            load_suite(table),
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["line_number"]},
        )
    # GX sees typed values, so a value that did not parse (null to GX) is compared on the SQL side only.
    unparsed = {line: {r.split(":")[0].split(".")[1] for r in why if r.split(":")[0].endswith(".parse")}
                for line, why in reasons.items()}  # fmt: skip
    for item in outcome.results:
        rule_id = item.expectation_config.meta["rule_id"]
        assert item.exception_info.get("raised_exception") is not True, (rule_id, item.exception_info)
        kwargs = item.expectation_config.kwargs
        condition = (kwargs.get("row_condition") or {}).get("column", {}).get("name")
        columns = {kwargs.get(k) for k in ("column", "column_A", "column_B")} | {condition}
        columns |= set(kwargs.get("column_list") or [])
        comparable = {line for line, failed in unparsed.items() if not failed & columns}
        by_sql = {line for line, why in reasons.items() if any(r.startswith(rule_id + ":") for r in why)}
        # GX gives no count (None) when its row condition leaves no row to check.
        unexpected = item.result.get("unexpected_count") or 0
        if item.result.get("unexpected_index_list") is None:  # GX on SQL gives counts only for keys
            assert unexpected == len(by_sql & comparable), rule_id
            continue
        by_gx = {entry["line_number"] for entry in item.result["unexpected_index_list"]}
        if len(by_gx) < unexpected:  # GX on SQL lists the first rows only
            assert by_gx & comparable <= by_sql & comparable, rule_id
            assert unexpected == len(by_sql & comparable), rule_id
            continue
        assert by_gx & comparable == by_sql & comparable, rule_id


FAST = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(rows_of(CASES))
def test_cases_rules_agree(cases):
    compare(CASES, cases, cases)


BLANK_DEVICE = {name: None for name in DEVICES.column_names}


@FAST
@given(rows_of(CASES), rows_of(DEVICES))
# Found by hypothesis: with no valid case at all, a blank case_id must still break only the
# required rule, on both sides.
@example([], [dict(BLANK_DEVICE, device_id="K1", case_id="C1"), dict(BLANK_DEVICE, device_id="K2")])
def test_devices_rules_agree(cases, devices):
    compare(DEVICES, cases, devices)


@FAST
@given(rows_of(WORKFORCE))
def test_workforce_rules_agree(workforce):
    compare(WORKFORCE, [], workforce)


BLANK_ACTION = {name: None for name in SUSPECT_ACTIONS.column_names}
CASE_WITH_SUSPECT = {name: None for name in CASES.column_names} | dict(
    case_id="C1", offence_code="19C", reported_date="2026-01-10", suspect_id="K1"
)
CASE_WITHOUT_SUSPECT = CASE_WITH_SUSPECT | dict(case_id="C2", suspect_id=None)


@FAST
@given(rows_of(CASES), rows_of(SUSPECT_ACTIONS))
# A hand-picked example of each new rule: an order action without order_type, an action on a
# valid case without a suspect, an action on an unknown case, and a valid order action.
@example(
    [CASE_WITH_SUSPECT, CASE_WITHOUT_SUSPECT],
    [
        dict(BLANK_ACTION, case_id="C1", action="order_applied", action_date="2026-01-10"),
        dict(BLANK_ACTION, case_id="C2", action="arrest", action_date="2026-01-10"),
        dict(BLANK_ACTION, case_id="C9", action="arrest", action_date="2026-01-10"),
        dict(BLANK_ACTION, case_id="C1", action="order_breach", action_date="2026-01-10", order_type="shpo"),
    ],
)
# No action that needs an order type: GX then checks no row for that rule and gives no count.
@example([], [dict(BLANK_ACTION, case_id="C1", action="arrest", action_date="2026-01-10", order_type="shpo")])
def test_suspect_actions_rules_agree(cases, actions):
    compare(SUSPECT_ACTIONS, cases, actions)


@FAST
@given(rows_of(VICTIM_SURVEY))
def test_victim_survey_rules_agree(responses):
    compare(VICTIM_SURVEY, [], responses)

"""The quarantine SQL and the Great Expectations suites are two executors of one rule list:
on random rows, every rule GX can see flags exactly the rows the SQL flags, for every contract
table (the optional suspect_actions and victim_survey included, with their rules: order_type
required for order actions, actions only on valid cases that have a suspect, survey items 1-5,
unique response ids, dates not after T)."""

from datetime import UTC, date, datetime

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines.contract import CASES, DEVICES, SUSPECT_ACTIONS, VICTIM_SURVEY, WORKFORCE, Table
from pipelines.quality import _gx, gate_view_sql, load_suite
from pipelines.screening import screen_sql
from pipelines.staging import stage_table_ddl
from pipelines.warehouse import write_inventory

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


class Extract:
    extract_id, path, force_code, extracted_at = "X/1", "X/1", "FFF", T
    schema_version, source_system, problems, files = "1.0", None, [], {}
    extract_date = date(2026, 6, 15)


def screen(con, table: Table, rows: list[dict]) -> None:
    con.execute(stage_table_ddl(table))
    for line, row in enumerate(rows, start=2):
        con.execute(
            f"insert into stage_{table.name} values (?, ?, {', '.join('?' * len(row))})",
            ["X/1", line, *row.values()],
        )
    con.execute(screen_sql(table))


def compare(table: Table, cases: list[dict], rows: list[dict]) -> None:
    con = duckdb.connect()
    write_inventory(con, [Extract()])
    screen(con, CASES, cases)
    if table is not CASES:
        screen(con, table, rows)
    # The gate's own view, over all screened rows instead of the valid ones.
    rows = f"""(
        select s.*, 'FFF' as force_code, ext.extracted_at, ext.extract_date
        from screened_{table.name} as s, extract_inventory as ext
    )"""
    valid_cases = "(select 'FFF' as force_code, case_id, suspect_id from screened_cases where len(reasons) = 0)"
    frame = con.execute(f"select * from ({gate_view_sql(table, rows, valid_cases)}) order by line_number").df()
    if frame.empty:
        return
    _, batch_definition = _gx()
    outcome = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        load_suite(table), result_format="COMPLETE"
    )
    parsed = [not any(r.split(":")[0].endswith(".parse") for r in reasons) for reasons in frame["reasons"]]
    for item in outcome.results:
        rule_id = item.expectation_config.meta["rule_id"]
        assert item.exception_info.get("raised_exception") is not True, (rule_id, item.exception_info)
        by_gx = set(item.result.get("unexpected_index_list") or [])
        by_sql = {i for i, reasons in enumerate(frame["reasons"]) if any(r.startswith(rule_id + ":") for r in reasons)}
        comparable = {i for i in range(len(frame)) if parsed[i]}
        assert by_gx & comparable == by_sql & comparable, rule_id


FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


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
def test_suspect_actions_rules_agree(cases, actions):
    compare(SUSPECT_ACTIONS, cases, actions)


@FAST
@given(rows_of(VICTIM_SURVEY))
def test_victim_survey_rules_agree(responses):
    compare(VICTIM_SURVEY, [], responses)

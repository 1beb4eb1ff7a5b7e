"""One row per quarantine rule of the contract, each checked for exactly the rule it breaks."""

import json

import duckdb
import pytest

from tests.conftest import query, run_pipeline, write_extract

T = "2026-06-15T21:30:00Z"  # D_T = 2026-06-15


def case(case_id, **fields):
    return {"case_id": case_id, "offence_code": "19C", "reported_date": "2026-01-10", **fields}


# (row, rule ids it must break); line numbers follow from the order (header is line 1).
CASES = [
    (case("C01"), set()),
    (case(None), {"cases.case_id.required"}),
    (case("C03", offence_code=None), {"cases.offence_code.required"}),
    (case("C04", reported_date="2026-2-3"), {"cases.reported_date.parse"}),
    (case("C05", reported_date="2026-02-30"), {"cases.reported_date.parse"}),
    (case("C06", victim_age="12.5"), {"cases.victim_age.parse"}),
    (case("C07", victim_age="121"), {"cases.victim_age.range"}),
    (case("C08", victim_sex="F"), {"cases.victim_sex.code_list"}),
    (case("C09", domestic_abuse="TRUE"), {"cases.domestic_abuse.parse"}),
    (case("C10"), {"cases.case_id.unique"}),
    (case("C10", victim_age="30"), {"cases.case_id.unique"}),
    (case("C12", offence_date="2026-01-11"), {"cases.reported_date.not_before_offence_date"}),
    (case("C13", victim_withdrawal_date="2026-01-09"), {"cases.victim_withdrawal_date.not_before_reported_date"}),
    (case("C14", early_advice_requested_date="2026-02-02", early_advice_received_date="2026-02-01"),
     {"cases.early_advice_received_date.not_before_early_advice_requested_date"}),
    (case("C15", outcome_code="16", outcome_date="2026-01-09"), {"cases.outcome_date.not_before_reported_date"}),
    (case("C16", reported_date="2026-06-16"), {"cases.reported_date.after_extract"}),
    (case("C17", outcome_code="16"), {"cases.outcome_date.present_with_outcome_code"}),
    (case("C18", outcome_date="2026-02-01"), {"cases.outcome_code.present_with_outcome_date"}),
    (case("C19", outcome_code="1a", outcome_date="2026-02-01"), {"cases.outcome_code.code_list"}),
    (case("C20", suspect_age="-1", suspect_sex="female"), {"cases.suspect_age.range"}),
    (case("C21", reported_date="2026-06-15", victim_sex=None), set()),  # on D_T itself: valid
    (case("C22", suspect_id="S1"), set()),  # the case with a suspect that the suspect actions point at
    (case("C23", reported_date="0000-01-01"), {"cases.reported_date.parse"}),  # year 0: not a calendar date
    (case("   "), {"cases.case_id.required"}),  # only spaces: a blank field
    (case("C25", suspect_id=" \t "), set()),  # a blank suspect_id: no suspect identified
]  # fmt: skip

DEVICES = [
    (dict(device_id="V01", case_id="C01", owner="victim"), set()),
    (dict(device_id="V02", case_id="NOPE", owner="victim"), {"devices.case_id.valid_case"}),
    (dict(device_id="V03", case_id="C10", owner="victim"), {"devices.case_id.valid_case"}),  # quarantined case
    (dict(device_id="V04", case_id="C01", owner="victim", seized_at="2026-03-01T10:00:00"),
     {"devices.seized_at.parse"}),  # no offset
    (dict(device_id="V05", case_id="C01", owner="victim", seized_at="2026-03-01T10:00:00Z",
          returned_at="2026-03-01T09:59:59Z"), {"devices.returned_at.not_before_seized_at"}),
    (dict(device_id="V06", case_id="C01", owner="victim", seized_at="2026-06-15T21:30:01Z"),
     {"devices.seized_at.after_extract"}),
    (dict(device_id="V07", case_id="C01", owner="victim", seized_at="2026-06-15T22:30:00+01:00"), set()),  # = T
    (dict(device_id="V08", case_id="C01", owner="witness"), {"devices.owner.code_list"}),
    (dict(device_id="V09", case_id="C01", owner=None), {"devices.owner.required"}),
    (dict(device_id="V10", case_id="C01", owner="suspect"), {"devices.device_id.unique"}),
    (dict(device_id="V10", case_id="C01", owner="suspect"), {"devices.device_id.unique"}),
    (dict(device_id="V12", case_id="C01", owner="victim", consent="yes"), {"devices.consent.code_list"}),
    (dict(device_id="V13", case_id="C01", owner="victim", seized_at="0000-03-01T10:00:00Z"),
     {"devices.seized_at.parse"}),  # year 0
]  # fmt: skip

CONTACTS = [
    (dict(case_id="C01", contact_date="2026-02-01", contact_type="update"), set()),
    (dict(case_id="C01", contact_date="2026-02-01", contact_type="update"), set()),  # identical rows are valid
    (dict(case_id="C01", contact_date="2026-02-01", contact_type="call"), {"contacts.contact_type.code_list"}),
    (dict(case_id="C01", contact_date="2026-06-16", contact_type="update"), {"contacts.contact_date.after_extract"}),
    (dict(case_id=None, contact_date="2026-02-01", contact_type="update"), {"contacts.case_id.required"}),
    (dict(case_id="C13", contact_date="2026-02-01", contact_type="update"), {"contacts.case_id.valid_case"}),
]

WORKFORCE = [
    (dict(officer_id="O1", month="2026-01", accredited="true", contracted_days="20", sickness_days="1.5"), set()),
    (dict(officer_id="O1", month="2026-02", accredited="true", contracted_days="20", sickness_days="21"),
     {"workforce.sickness_days.not_above_contracted_days"}),
    (dict(officer_id="O1", month="2026-03", accredited="true", contracted_days="0", sickness_days="0"),
     {"workforce.contracted_days.range"}),
    (dict(officer_id="O1", month="2026-13", accredited="true", contracted_days="20", sickness_days="0"),
     {"workforce.month.parse"}),
    (dict(officer_id="O1", month="2026-07", accredited="true", contracted_days="20", sickness_days="0"),
     {"workforce.month.after_extract"}),
    (dict(officer_id="O2", month="2026-01", accredited="yes", contracted_days="20", sickness_days="0"),
     {"workforce.accredited.parse"}),
    (dict(officer_id="O3", month="2026-01", accredited="false", contracted_days="20", sickness_days="0"),
     {"workforce.officer_id_month.unique"}),
    (dict(officer_id="O3", month="2026-01", accredited="false", contracted_days="21", sickness_days="0"),
     {"workforce.officer_id_month.unique"}),
    (dict(officer_id="O4", month="2026-01", accredited="true", contracted_days="20", sickness_days="1e400"),
     {"workforce.sickness_days.parse"}),  # beyond a double: it would be read as infinity
    (dict(officer_id="O5", month="2026-01", accredited="true", contracted_days="-1e400", sickness_days="0"),
     {"workforce.contracted_days.parse"}),
    (dict(officer_id="O6", month="0000-01", accredited="true", contracted_days="20", sickness_days="0"),
     {"workforce.month.parse"}),  # year 0
]  # fmt: skip

def action(case_id="C22", action="arrest", action_date="2026-02-01", **fields):
    return dict(case_id=case_id, action=action, action_date=action_date, **fields)


SUSPECT_ACTIONS = [
    (action(), set()),
    (action(), set()),  # identical rows are valid (no key)
    (action(action="order_applied"), {"suspect_actions.order_type.required_for_action"}),
    (action(action="order_granted"), {"suspect_actions.order_type.required_for_action"}),
    (action(action="order_breach", breach_response="arrested"), {"suspect_actions.order_type.required_for_action"}),
    (action(action="order_granted", order_type="shpo"), set()),
    (action(action="order_breach", order_type="dapo", breach_response="arrested"), set()),
    (action(action="bail_breach"), set()),  # a blank breach_response is `unknown`
    (action(case_id="C01"), {"suspect_actions.case_id.case_has_suspect_id"}),  # a valid case without a suspect
    (action(case_id="C10"), {"suspect_actions.case_id.valid_case"}),  # a quarantined case
    (action(case_id="NOPE"), {"suspect_actions.case_id.valid_case"}),
    (action(action="caution"), {"suspect_actions.action.code_list"}),
    (action(action_date="2026-06-16"), {"suspect_actions.action_date.after_extract"}),
    (action(action_date="2026-06-15"), set()),  # on D_T itself
    (action(action=None), {"suspect_actions.action.required"}),
    (action(action="order_applied", order_type="asbo"), {"suspect_actions.order_type.code_list"}),
    (action(action="bail_breach", breach_response="fled"), {"suspect_actions.breach_response.code_list"}),
    (action(case_id=None), {"suspect_actions.case_id.required"}),
    (action(action_date="2026-02-30"), {"suspect_actions.action_date.parse"}),
    (action(action_date=None), {"suspect_actions.action_date.required"}),
    (action(action_date="2026-01-01"), set()),  # before the report: no order rule (an arrest can come first)
    (action(breach_response="arrested"), set()),  # a response on another action is not a contract rule
    (action(action="s63g_applied", order_type="shpo"), set()),  # nor is an order type on another action
]  # fmt: skip


def response(response_id, response_date="2026-03-01", journey_stage="reporting", **items):
    return dict(response_id=response_id, response_date=response_date, journey_stage=journey_stage, **items)


VICTIM_SURVEY = [
    (response("R01", treated_with_respect="5", kept_informed="1"), set()),
    (response("R02", journey_stage="investigation", listened_to="3"), set()),  # every other item blank
    (response("R03", journey_stage="court"), {"victim_survey.journey_stage.code_list"}),
    (response("R04", treated_fairly="6"), {"victim_survey.treated_fairly.range"}),
    (response("R05", felt_believed="0"), {"victim_survey.felt_believed.range"}),
    (response("R06", would_recommend_reporting="4.0"), {"victim_survey.would_recommend_reporting.parse"}),
    (response("R07"), {"victim_survey.response_id.unique"}),
    (response("R07", journey_stage="outcome"), {"victim_survey.response_id.unique"}),
    (response("R09", response_date="2026-06-16"), {"victim_survey.response_date.after_extract"}),
    (response("R10", response_date=None), {"victim_survey.response_date.required"}),
    (response("R11", journey_stage=None), {"victim_survey.journey_stage.required"}),
    (response(None), {"victim_survey.response_id.required"}),
    (response("R13", response_date="2026-06-15", kept_informed="5"), set()),  # on D_T itself
]

TABLE_ROWS = {"cases": CASES, "devices": DEVICES, "contacts": CONTACTS, "workforce": WORKFORCE,
              "suspect_actions": SUSPECT_ACTIONS, "victim_survey": VICTIM_SURVEY}  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quarantine")
    write_extract(
        tmp / "inbox", "QRT", T,
        *(([row for row, _ in TABLE_ROWS[name]]) for name in ("cases", "devices", "contacts", "workforce")),
        suspect_actions=[row for row, _ in SUSPECT_ACTIONS], victim_survey=[row for row, _ in VICTIM_SURVEY],
    )  # fmt: skip
    result, out, warehouse = run_pipeline(tmp / "inbox", tmp, threshold=1.0)  # keep the extract despite the share
    assert result.success
    return out, warehouse


@pytest.mark.parametrize("table", list(TABLE_ROWS))
def test_each_row_breaks_exactly_its_rule(run, table):
    _, warehouse = run
    found = {
        line: {reason.split(":")[0] for reason in reasons.split("; ")}
        for line, reasons in query(warehouse, f"select line_number, reasons from quarantine_{table}")
    }
    expected = {line: rules for line, (_, rules) in enumerate(TABLE_ROWS[table], start=2) if rules}
    assert found == expected


def test_quarantine_is_published_with_file_line_and_reason(run):
    out, _ = run
    version = out / json.loads((out / "latest.json").read_text())["path"]
    rows = duckdb.sql(
        f"select source_file, line_number, reasons, victim_age from '{version}/quarantine/cases.parquet' "
        "order by line_number"
    ).fetchall()
    assert len(rows) == sum(1 for _, rules in CASES if rules)
    assert rows[0][:2] == ("QRT/2026-06-15/cases.csv", 3)
    line_7 = next(r for r in rows if r[1] == 8)
    assert line_7[2] == "cases.victim_age.range: victim_age: '121' is not >= 0 and <= 120"
    assert line_7[3] == "121"  # the value exactly as read
    manifest = json.loads((version / "manifest.json").read_text())
    counts = manifest["extracts"][0]["files"]["cases"]
    assert counts == {**counts, "rows_read": len(CASES), "rows_quarantined": len(rows),
                      "rows_accepted": len(CASES) - len(rows)}  # fmt: skip


def test_only_valid_rows_reach_the_valid_tables(run):
    _, warehouse = run
    valid = query(warehouse, "select case_id, suspect_id from valid_cases order by case_id")
    assert valid == [("C01", None), ("C21", None), ("C22", "S1"), ("C25", None)]
    assert query(warehouse, "select count(*) from valid_contacts")[0][0] == 2


def test_the_order_type_reason_names_the_action(run):
    _, warehouse = run
    reasons = query(warehouse, "select reasons from quarantine_suspect_actions where line_number = 4")[0][0]
    assert reasons == (
        "suspect_actions.order_type.required_for_action: order_type: required value is blank "
        "(required when action is 'order_applied')"
    )

"""One extract per rejection rule, plus the fallback to a force's newest accepted extract."""

import json

import pytest

from pipelines.cli import main
from tests.conftest import query, write_csv, write_extract

T = "2026-06-15T21:30:00Z"
GOOD_CASES = [{"case_id": f"C{i:02d}", "offence_code": "19C", "reported_date": "2026-01-10"} for i in range(20)]


def good(inbox, force, extracted_at=T, folder=None, cases=GOOD_CASES):
    return write_extract(inbox, force, extracted_at, cases, [], [], folder=folder)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("reject") / "inbox"
    path = good(inbox, "NOMAN")
    (path / "manifest.json").unlink()
    (good(inbox, "BADJSON") / "manifest.json").write_text("{not json")
    good(inbox, "SCHEMA", folder="x")
    (inbox / "SCHEMA" / "x" / "manifest.json").write_text(
        json.dumps({"schema_version": "2.0", "force_code": "SCHEMA", "extracted_at": T})
    )
    for force, manifest in {
        "NOOFFSET": {"schema_version": "1.0", "force_code": "NOOFFSET", "extracted_at": "2026-06-15T21:30:00"},
        "LOWER": {"schema_version": "1.0", "force_code": "dur", "extracted_at": T},
        "ALL": {"schema_version": "1.0", "force_code": "ALL", "extracted_at": T},
    }.items():
        (good(inbox, force) / "manifest.json").write_text(json.dumps(manifest))
    (good(inbox, "NODEV") / "devices.csv").unlink()
    write_csv(good(inbox, "NOCOL") / "cases.csv", ["case_id", "offence_code"], [{"case_id": "C1"}])
    write_csv(good(inbox, "DUPCOL") / "contacts.csv", ["case_id", "contact_date", "contact_type", "case_id"], [])
    write_csv(
        good(inbox, "IDENT") / "cases.csv",
        ["case_id", "offence_code", "reported_date", "Victim Name"],
        [{"case_id": "C1", "offence_code": "19C", "reported_date": "2026-01-01", "Victim Name": "x"}],
    )
    (good(inbox, "LATIN") / "contacts.csv").write_bytes(
        b"case_id,contact_date,contact_type\nC01,2026-02-01,update\nC02,2026-02-01,upd\x96ate\n"
    )
    over = [dict(row) for row in GOOD_CASES]
    over[5]["reported_date"] = "not a date"  # 1 of 20 = 5%: allowed
    good(inbox, "FIVEPC", cases=over)
    over = [dict(row) for row in GOOD_CASES[:19]] + [{"case_id": "C99", "offence_code": "19C"}, dict(GOOD_CASES[0])]
    good(inbox, "OVER", cases=over)  # 3 of 21 quarantined (blank date, duplicate key twice): over 5%
    # Optional tables have the same threshold: 2 of 20 survey responses out of range (10%) rejects
    # the extract; 1 of 20 suspect actions (an order applied without its order_type) is 5%: allowed.
    responses = [dict(response_id=f"R{i:02d}", response_date="2026-03-01", journey_stage="reporting",
                      treated_fairly="7" if i in (1, 5) else "4") for i in range(20)]  # fmt: skip
    write_extract(inbox, "SURVOVER", T, GOOD_CASES, [], [], victim_survey=responses)
    with_suspect = [dict(row, suspect_id="S1") for row in GOOD_CASES]
    actions = [dict(case_id="C00", action="arrest", action_date="2026-01-11")] * 19
    actions.append(dict(case_id="C01", action="order_applied", action_date="2026-01-12"))
    write_extract(inbox, "ACTFIVE", T, with_suspect, [], [], suspect_actions=actions)
    (good(inbox, "RAGGED") / "cases.csv").write_text(
        "case_id,offence_code,reported_date\nC1,19C,2026-01-01\nC2,19C\n", encoding="utf-8"
    )
    # Fallback: the newest FALL extract (by instant, not by string or folder) is rejected.
    good(inbox, "FALL", "2026-06-01T23:30:00-02:00", folder="a-later-instant")  # 01:30 UTC 2 June
    good(inbox, "FALL", "2026-06-02T01:00:00+02:00", folder="b-later-string")  # 23:00 UTC 1 June
    bad = good(inbox, "FALL", "2026-06-10T00:00:00Z", folder="c-newest")
    (bad / "cases.csv").write_text("case_id\n", encoding="utf-8")
    return inbox


@pytest.fixture(scope="module")
def run(inbox, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reject-run")
    status = main(["run", "--extracts", str(inbox), "--out", str(tmp / "out"), "--warehouse", str(tmp / "w.duckdb")])
    verdicts = {
        e: (status_, " | ".join(reasons))
        for e, status_, reasons in query(tmp / "w.duckdb", "select extract_id, status, reasons from extract_verdicts")
    }
    return status, verdicts, tmp / "out"


@pytest.mark.parametrize(
    "extract_id, message",
    [
        ("NOMAN/2026-06-15", "NOMAN/2026-06-15: manifest.json is missing"),
        ("BADJSON/2026-06-15", "BADJSON/2026-06-15/manifest.json: cannot be parsed"),
        ("SCHEMA/x", "schema_version '2.0' is not supported"),
        ("NODEV/2026-06-15", "NODEV/2026-06-15/devices.csv: file is missing"),
        ("NOOFFSET/2026-06-15", "extracted_at '2026-06-15T21:30:00' is not an ISO 8601 timestamp with an offset or Z"),
        ("LOWER/2026-06-15", "force_code 'dur' is not 2-8 upper-case letters or digits"),
        ("ALL/2026-06-15", "force_code 'ALL' is reserved for the all-forces total"),
        ("NOCOL/2026-06-15", "cases.csv: line 1: required column 'reported_date' is missing"),
        ("DUPCOL/2026-06-15", "contacts.csv: line 1, column 4: column name 'case_id' is duplicated"),
        ("IDENT/2026-06-15", "cases.csv: line 1, column 4: column 'Victim Name' looks like a direct identifier"),
        # "C02,2026-02-01,upd" is 18 bytes, so the bad byte is the 19th.
        ("LATIN/2026-06-15", "LATIN/2026-06-15/contacts.csv: line 3, column 3: not valid UTF-8"),
        (
            "OVER/2026-06-15",
            "OVER/2026-06-15/cases.csv: 3 of 21 rows quarantined (14.3%), more than the 5.0% allowed; "
            "most often cases.case_id.unique (2 rows, first at line 2)",
        ),
        ("RAGGED/2026-06-15", "RAGGED/2026-06-15/cases.csv: line 3: record has 2 fields, the header has 3"),
        (
            "SURVOVER/2026-06-15",
            "SURVOVER/2026-06-15/victim_survey.csv: 2 of 20 rows quarantined (10.0%), more than the 5.0% allowed; "
            "most often victim_survey.treated_fairly.range (2 rows, first at line 3)",
        ),
        ("FALL/c-newest", "cases.csv: line 1: required column 'offence_code' is missing"),
    ],
)
def test_extract_is_rejected_with_a_clear_reason(run, extract_id, message):
    _, verdicts, _ = run
    status, reasons = verdicts[extract_id]
    assert status == "rejected"
    assert message in reasons


def test_five_percent_of_an_optional_table_is_accepted(run):
    _, verdicts, _ = run
    assert verdicts["ACTFIVE/2026-06-15"] == ("used", "")


def test_five_percent_exactly_is_accepted(run):
    assert run[1]["FIVEPC/2026-06-15"][0] == "used"


def test_newest_accepted_extract_by_instant_is_used(run):
    _, verdicts, _ = run
    assert verdicts["FALL/a-later-instant"][0] == "used"
    assert verdicts["FALL/b-later-string"][0] == "superseded"


def test_identifier_columns_never_reach_the_warehouse(run, tmp_path_factory):
    _, _, out = run
    warehouse = out.parent / "w.duckdb"
    # Rejected before any row is read: nothing of it is staged, stored or counted.
    assert query(warehouse, "select count(*) from extract_table_counts where extract_id like 'IDENT/%'")[0][0] == 0
    assert query(warehouse, "select count(*) from valid_cases where force_code = 'IDENT'")[0][0] == 0


def test_rejections_are_reported_and_the_rest_published(run):
    status, _, out = run
    assert status == 1  # published, but something was rejected
    manifest = json.loads((out / json.loads((out / "latest.json").read_text())["path"] / "manifest.json").read_text())
    assert {e["extract_id"] for e in manifest["rejected_extracts"]} >= {"OVER/2026-06-15", "RAGGED/2026-06-15"}
    assert {e["force_code"] for e in manifest["extracts"]} == {"FIVEPC", "FALL", "ACTFIVE"}


def test_nothing_published_when_no_extract_is_accepted(tmp_path):
    inbox = tmp_path / "inbox"
    (good(inbox, "ONLY") / "contacts.csv").unlink()
    status = main(["run", "--extracts", str(inbox), "--out", str(tmp_path / "out"),
                   "--warehouse", str(tmp_path / "w.duckdb")])  # fmt: skip
    assert status == 2
    assert not (tmp_path / "out" / "latest.json").exists()

"""Every canonical table of the contract can be mapped; optional files may be missing; the
WESTD style carries the v1.1 tables when the canonical extract has them."""

import csv

import pytest

from pipelines.adapt.adapter import adapt
from pipelines.adapt.sample import mapping_of, write_west_style
from pipelines.contract import TABLES, TABLES_BY_NAME
from tests.adapt_helpers import adapt_folder, read_table
from tests.conftest import write_csv, write_extract

# One raw value per contract type, its format, and the canonical text it must become.
BY_TYPE = {
    "string": ("Ab 1", None, "Ab 1"),
    "date": ("15/01/2026", "%d/%m/%Y", "2026-01-15"),
    "timestamp": ("15/07/2026 10:00", "%d/%m/%Y %H:%M", "2026-07-15T09:00:00Z"),
    "integer": ("3", None, "3"),
    "number": ("2.5", None, "2.5"),
    "boolean": ("TRUE", None, "true"),
    "month": ("Jan 2026", "%b %Y", "2026-01"),
}


def _raw_and_canonical(column) -> tuple[str, str | None, str]:
    if column.type == "code":
        return column.codes[0].upper(), None, column.codes[0]
    return BY_TYPE[column.type]


def test_every_table_of_the_contract_can_be_mapped(tmp_path):
    mapping, files, expected = "", {}, {}
    for table in TABLES:
        mapping += f'\n[files.{table.name}]\npath = "{table.name}_raw.csv"\n'
        mapping += f'\n[tables.{table.name}]\nfrom = "{table.name}"\n[tables.{table.name}.columns]\n'
        header, row, canonical = [], [], {}
        for column in table.columns:
            raw, fmt, value = _raw_and_canonical(column)
            if column.name == "case_id":
                raw = value = "Ab 1"  # every table that refers to a case refers to the one case
            formats = f', formats = ["{fmt}"]' if fmt else ""
            mapping += f'{column.name} = {{ source = "Raw {column.name}"{formats} }}\n'
            header.append(f"Raw {column.name}")
            row.append(raw)
            canonical[column.name] = value
        files[f"{table.name}_raw.csv"] = ",".join(header) + "\n" + ",".join(row) + "\n"
        expected[table.name] = [canonical]
    report, out = adapt_folder(tmp_path, mapping, files)
    assert report.ok, report.problems
    assert {name: read_table(out, name) for name in TABLES_BY_NAME} == expected
    assert {"suspect_actions", "victim_survey"} <= set(report.tables)


OPTIONAL = """
[files.crimes]
path = "crimes.csv"
[files.actions]
path = "actions*.csv"
optional = true

[tables.cases]
from = "crimes"
[tables.cases.columns]
case_id = { source = "Ref" }
offence_code = { value = "19C" }
reported_date = { value = "2026-01-01", formats = ["%Y-%m-%d"] }

[tables.devices]
empty = true
[tables.contacts]
empty = true

[tables.suspect_actions]
from = "actions"
[tables.suspect_actions.columns]
case_id = { source = "Ref" }
action = { source = "Action" }
action_date = { source = "On", formats = ["%d/%m/%Y"] }
"""


def test_a_missing_optional_file_leaves_its_table_out(tmp_path):
    report, out = adapt_folder(tmp_path, OPTIONAL, {"crimes.csv": "Ref\nA\n"})
    assert report.ok, report.problems
    assert sorted(p.name for p in out.iterdir()) == [
        "adapt_report.json", "adapt_report.md", "cases.csv", "contacts.csv", "devices.csv", "manifest.json",
    ]  # fmt: skip
    assert "| actions | (optional, not in this export) |" in report.to_markdown()
    assert "| suspect_actions | actions | 0 |  |  | 0 | 0 | not written |" in report.to_markdown()
    report, out = adapt_folder(
        tmp_path, OPTIONAL, {"actions_2026.csv": "Ref,Action,On\nA,arrest,02/01/2026\n"}, out=tmp_path / "out2"
    )
    assert report.ok and read_table(out, "suspect_actions") == [
        {"case_id": "A", "action": "arrest", "action_date": "2026-01-02"}
    ]


def test_only_an_optional_table_may_come_from_an_optional_file(tmp_path):
    mapping = OPTIONAL.replace('path = "crimes.csv"', 'path = "crimes.csv"\noptional = true')
    report, _ = adapt_folder(tmp_path, mapping, {"crimes.csv": "Ref\nA\n"})
    assert [p.split(": ", 1)[1] for p in report.problems] == [
        "tables.cases.from: 'crimes' is optional, but cases.csv is required; only an optional table can come "
        "from an optional file"
    ]


ACTIONS = [
    {"case_id": "C1", "action": "arrest", "action_date": "2026-02-01"},
    {"case_id": "C1", "action": "bail_breach", "action_date": "2026-03-01", "breach_response": "arrested"},
    {"case_id": "C1", "action": "order_granted", "action_date": "2026-04-01", "order_type": "shpo"},
    {"case_id": "C2", "action": "s63g_applied", "action_date": "2026-05-01"},
    {"case_id": "C2", "action": "order_breach", "action_date": "2026-06-01", "order_type": "dapo",
     "breach_response": "unknown"},
    {"case_id": "C2", "action": "released_under_investigation", "action_date": "2026-06-02"},
]  # fmt: skip
SURVEY = [
    {"response_id": "R1", "response_date": "2026-02-10", "journey_stage": "reporting", "treated_with_respect": "5",
     "treated_fairly": "4", "listened_to": "3", "kept_informed": "2", "felt_believed": "1"},
    {"response_id": "R2", "response_date": "2026-03-10", "journey_stage": "outcome"},
    {"response_id": "R3", "response_date": "2026-03-11", "journey_stage": "investigation",
     "would_recommend_reporting": "4"},
]  # fmt: skip


def _canonical(tmp_path, with_new_tables: bool):
    cases = [
        {"case_id": "C1", "offence_code": "19C", "reported_date": "2026-01-05", "suspect_id": "S1"},
        {"case_id": "C2", "offence_code": "20A", "reported_date": "2026-01-06", "suspect_id": "S2"},
    ]
    folder = write_extract(tmp_path / "canonical", "WESTD", "2026-10-31T23:00:00Z", cases=cases)
    if with_new_tables:
        for name, rows in (("suspect_actions", ACTIONS), ("victim_survey", SURVEY)):
            write_csv(folder / f"{name}.csv", list(TABLES_BY_NAME[name].column_names), rows)
    return folder


@pytest.mark.parametrize("with_new_tables", [True, False])
def test_the_west_style_carries_suspect_actions_and_survey_answers_when_there_are_any(tmp_path, with_new_tables):
    raw = tmp_path / "raw"
    write_west_style(_canonical(tmp_path, with_new_tables), raw)
    names = sorted(p.name.removeprefix("WESTD_RASSO_20261031-2300_") for p in raw.iterdir())
    new_files = ["disruption.csv", "survey.csv"] if with_new_tables else []
    assert names == sorted(["contacts.csv", "crimes.csv", "devices.csv", "suspects.csv", *new_files])
    report = adapt(mapping_of("WESTD"), raw, tmp_path / "out")
    assert report.ok, report.problems
    written = sorted(p.name for p in (tmp_path / "out").glob("*.csv"))
    extra = ["suspect_actions.csv", "victim_survey.csv"] if with_new_tables else []
    assert written == sorted(["cases.csv", "contacts.csv", "devices.csv", *extra])
    if not with_new_tables:
        return
    # The raw form is the force's, not the contract's.
    with next(raw.glob("*_disruption.csv")).open(encoding="utf-8", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert (first["Action"], first["Action Date"]) == ("ARR - Arrest", "01/02/26")
    with next(raw.glob("*_survey.csv")).open(encoding="utf-8", newline="") as handle:
        answers = [row["Q1 Treated with respect"] for row in csv.DictReader(handle)]
    assert answers == ["Strongly agree", "Not answered", ""]
    # And adapted back it is the canonical extract again.
    assert read_table(tmp_path / "out", "suspect_actions") == ACTIONS
    assert read_table(tmp_path / "out", "victim_survey") == SURVEY

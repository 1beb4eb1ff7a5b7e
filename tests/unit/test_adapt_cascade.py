"""Filters that follow keys, and one file declared several times under different names."""

from tests.adapt_helpers import adapt_folder, read_table

MAPPING = """
[files.crimes]
path = "crimes.csv"
drop = [{ column = "Status", values = ["No crime", "Recorded in error"], keep = ["Confirmed"] }]

[files.exhibits]
path = "exhibits.csv"

[files.contacts]
path = "contacts.csv"

[tables.cases]
from = "crimes"
[tables.cases.columns]
case_id = { source = "Ref" }
offence_code = { value = "19C" }
reported_date = { value = "2026-01-01", formats = ["%Y-%m-%d"] }

[tables.devices]
from = "exhibits"
[tables.devices.columns]
device_id = { source = "Exhibit" }
case_id = { source = "Crime" }
owner = { source = "Owner" }

[tables.contacts]
from = "contacts"
[tables.contacts.columns]
case_id = { source = "Crime", pattern = '^(\\w+)' }
contact_date = { value = "2026-01-02", formats = ["%Y-%m-%d"] }
contact_type = { value = "update" }
"""
# NC1 is no crime and E1 recorded in error; B has a row in error and a confirmed row, so B stays.
CRIMES = "Ref,Status\nA,Confirmed\nNC1,No crime\nB,Recorded in error\nB,Confirmed\nE1,recorded in error\n"
# D2's owner is not a contract code, but its case was dropped, so it never matters; D5's case
# is nowhere in the export: it is not a dropped case, so it stays (and the pipeline will
# quarantine it as an orphan, visibly).
EXHIBITS = "Exhibit,Crime,Owner\nD1,A,victim\nD2,NC1,Witness\nD3,E1,suspect\nD4,B,victim\nD5,ZZ,other\n"
CONTACTS = "Crime\nA\nNC1 (closed)\nNC1\nE1\nB\n"


def test_devices_and_contacts_of_dropped_cases_are_dropped_with_them_and_counted(tmp_path):
    files = {"crimes.csv": CRIMES, "exhibits.csv": EXHIBITS, "contacts.csv": CONTACTS}
    report, out = adapt_folder(tmp_path, MAPPING, files)
    assert report.ok, report.problems
    assert [r["case_id"] for r in read_table(out, "cases")] == ["A", "B"]
    assert [(r["device_id"], r["case_id"]) for r in read_table(out, "devices")] == [
        ("D1", "A"), ("D4", "B"), ("D5", "ZZ"),
    ]  # fmt: skip
    # The key is compared after mapping: "NC1 (closed)" is NC1 once the pattern keeps the id.
    assert [r["case_id"] for r in read_table(out, "contacts")] == ["A", "B"]
    dropped = {t.table: (t.rows_read, t.dropped_with_case, t.rows) for t in report.table_details}
    assert dropped == {"cases": (2, 0, 2), "devices": (5, 2, 3), "contacts": (5, 3, 2)}
    assert report.files[0].dropped == 3
    markdown = report.to_markdown()
    assert "| devices | exhibits | 5 |  |  | 0 | 2 | 3 |" in markdown
    assert "| contacts | contacts | 5 |  |  | 0 | 3 | 2 |" in markdown
    # Coverage counts only the rows that are written.
    owner = next(c for c in report.columns if c.column == "owner")
    assert (owner.mapped, owner.unmapped) == (3, 0)


def test_without_a_filter_on_the_cases_file_nothing_follows(tmp_path):
    mapping = MAPPING.replace(
        'drop = [{ column = "Status", values = ["No crime", "Recorded in error"], keep = ["Confirmed"] }]', ""
    )
    files = {"crimes.csv": "Ref,Status\nA,x\nB,y\n", "exhibits.csv": EXHIBITS.replace("Witness", "victim"),
             "contacts.csv": CONTACTS}  # fmt: skip
    report, out = adapt_folder(tmp_path, mapping, files)
    assert report.ok, report.problems
    assert len(read_table(out, "devices")) == 5 and len(read_table(out, "contacts")) == 5
    assert all(t.dropped_with_case == 0 for t in report.table_details)


MOVEMENTS = """
[files.exhibits]
path = "exhibits.csv"

# The movements register, declared once per movement: each declaration keeps one kind of row.
[files.seized]
path = "movements.csv"
only = [{ column = "Movement", values = ["Seized"] }]

[files.returned]
path = "movements.csv"
only = [{ column = "Movement", values = ["Returned to owner"] }]

[files.examined]
path = "movements.csv"
only = [{ column = "Movement", values = ["Examination complete"] }]

[tables.devices]
from = "exhibits"
join = [
    { file = "seized", on = { "Exhibit" = "Exhibit" } },
    { file = "returned", on = { "Exhibit" = "Exhibit" } },
    { file = "examined", on = { "Exhibit" = "Exhibit" } },
]
[tables.devices.columns]
device_id = { source = "Exhibit", file = "exhibits" }
case_id = { source = "Crime" }
owner = { value = "victim" }
seized_at = { source = "When", file = "seized", formats = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"] }
returned_at = { source = "When", file = "returned", formats = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"] }
examined_at = { source = "When", file = "examined", formats = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"] }

[files.crimes]
path = "crimes.csv"
[tables.cases]
from = "crimes"
[tables.cases.columns]
case_id = { source = "Ref" }
offence_code = { value = "19C" }
reported_date = { value = "2026-01-01", formats = ["%Y-%m-%d"] }

[tables.contacts]
empty = true

[time]
timezone = "Europe/London"
"""
REGISTER = (
    "Exhibit,Movement,When\n"
    "D1,Seized,02/01/2026 10:00\n"
    "D1,Examination complete,20/01/2026 16:30:15\n"
    "D1,Returned to owner,01/07/2026 09:00\n"
    "D2,Seized,03/01/2026 11:00:01\n"
    "D2,Photographed,03/01/2026 11:05\n"
)


def test_one_file_declared_several_times_with_filters_makes_one_column_each(tmp_path):
    files = {"crimes.csv": "Ref\nA\n", "exhibits.csv": "Exhibit,Crime\nD1,A\nD2,A\n", "movements.csv": REGISTER}
    report, out = adapt_folder(tmp_path, MOVEMENTS, files)
    assert report.ok, report.problems
    devices = [(r["device_id"], r.get("seized_at"), r.get("returned_at"), r.get("examined_at"))
               for r in read_table(out, "devices")]  # fmt: skip
    # London time: GMT in January, BST in July.
    assert devices == [
        ("D1", "2026-01-02T10:00:00Z", "2026-07-01T08:00:00Z", "2026-01-20T16:30:15Z"),
        ("D2", "2026-01-03T11:00:01Z", None, None),
    ]
    declared = [(f.name, f.path, f.rows, f.dropped) for f in report.files]
    assert declared == [
        ("exhibits", "exhibits.csv", 2, 0),
        ("seized", "movements.csv", 5, 3),
        ("returned", "movements.csv", 5, 4),
        ("examined", "movements.csv", 5, 4),
        ("crimes", "crimes.csv", 1, 0),
    ]
    markdown = report.to_markdown()
    assert "| returned | movements.csv | utf-8 | 5 | 4 | 0 |" in markdown
    assert "| devices.returned_at | returned | When | error | 1 | 0 | 1 |" in markdown
    assert "| devices | exhibits + seized + returned + examined | 2 |" in markdown


def test_a_status_in_a_joined_file_filters_the_table_and_its_cases_take_their_rows(tmp_path):
    mapping = MAPPING.replace(
        'drop = [{ column = "Status", values = ["No crime", "Recorded in error"], keep = ["Confirmed"] }]\n', ""
    ).replace(
        '[tables.cases]\nfrom = "crimes"\n',
        '[files.status]\npath = "status.csv"\n\n[tables.cases]\nfrom = "crimes"\n'
        'join = [{ file = "status", on = { "Ref" = "Crime" } }]\n'
        'drop = [{ column = "State", values = ["No crime", "Recorded in error"], keep = ["Confirmed"] }]\n',
    )
    crimes = "Ref\nA\nNC1\nB\nE1\n"
    status = "Crime,State\nA,Confirmed\nNC1,No crime\nE1,Recorded in error\nB,Confirmed\n"
    files = {"crimes.csv": crimes, "status.csv": status, "exhibits.csv": EXHIBITS, "contacts.csv": CONTACTS}
    report, out = adapt_folder(tmp_path, mapping, files)
    assert report.ok, report.problems
    assert [r["case_id"] for r in read_table(out, "cases")] == ["A", "B"]
    assert [r["device_id"] for r in read_table(out, "devices")] == ["D1", "D4", "D5"]
    assert [r["case_id"] for r in read_table(out, "contacts")] == ["A", "B"]
    details = {t.table: (t.rows_read, t.filtered, t.dropped_with_case, t.rows) for t in report.table_details}
    assert details == {"cases": (4, 2, 0, 2), "devices": (5, 0, 2, 3), "contacts": (5, 0, 3, 2)}
    # A crime with no status row has a blank status: neither in values nor in keep.
    report, _ = adapt_folder(tmp_path, mapping, {**files, "crimes.csv": crimes + "Z9\n"})
    assert report.problems == [
        "crimes.csv: line 6: drop rule (tables.cases.drop.0): column 'State' of status.csv value blank (1 rows, "
        "lines 6) is neither in values nor in keep"
    ]

"""Wide to long: a table built from several columns of one file, one row per column or per
unit of a count."""

from tests.adapt_helpers import adapt_folder, read_table

CASES = """
[files.crimes]
path = "crimes.csv"

[tables.cases]
from = "crimes"
[tables.cases.columns]
case_id = { source = "Ref" }
offence_code = { value = "19C" }
reported_date = { value = "2026-01-01", formats = ["%Y-%m-%d"] }

[tables.devices]
empty = true

[defaults]
null = ["-"]
"""
CRIMES = "Ref\nA\nB\n"

# One row per case per day; one count column per contact type.
COUNTS = """
[files.log]
path = "log.csv"

[tables.contacts]
from = "log"
unpivot = { columns = ["Updates", "Needs", "NFA"], names_to = "Type", values_to = "Number" }
count = "Number"

[tables.contacts.columns]
case_id = { source = "Ref" }
contact_date = { source = "Date", formats = ["%d/%m/%Y"] }
contact_type = { source = "Type", values = { Updates = "update", Needs = "needs_assessment", NFA = "nfa_explained" } }
"""
LOG = "Ref,Date,Updates,Needs,NFA\nA,01/02/2026,2,0,\nA,03/02/2026,,1,1\nB,01/02/2026,0,-,0\nB,05/02/2026,1.0,0,0\n"


def _contacts(out):
    return [(r["case_id"], r["contact_date"], r["contact_type"]) for r in read_table(out, "contacts")]


def test_wide_counts_per_type_per_day_become_one_row_per_contact(tmp_path):
    report, out = adapt_folder(tmp_path, CASES + COUNTS, {"crimes.csv": CRIMES, "log.csv": LOG})
    assert report.ok, report.problems
    # Worked by hand: A on 1 Feb has 2 updates; A on 3 Feb one needs assessment and one NFA
    # letter; B on 1 Feb has none (0, a null token, 0); B on 5 Feb one update ("1.0").
    assert _contacts(out) == [
        ("A", "2026-02-01", "update"),
        ("A", "2026-02-01", "update"),
        ("A", "2026-02-03", "needs_assessment"),
        ("A", "2026-02-03", "nfa_explained"),
        ("B", "2026-02-05", "update"),
    ]
    details = next(t for t in report.table_details if t.table == "contacts")
    # 12 cells; 9 are not blank (a 0 is a row until the count repeats it no times).
    assert (details.rows_read, details.unpivot, details.counted, details.rows) == (
        4, "3 columns to 9 rows", "by Number: 9 rows to 5", 5,
    )  # fmt: skip
    assert next(c for c in report.columns if c.column == "contact_type").source == "Type"
    assert "| contacts | log | 4 | 3 columns to 9 rows | by Number: 9 rows to 5 | 0 | 0 | 5 |" in report.to_markdown()


def test_a_count_that_is_not_a_whole_number_of_rows_stops_the_extract(tmp_path):
    log = "Ref,Date,Updates,Needs,NFA\nA,01/02/2026,two,0,0\nA,02/02/2026,-1,1001,0\nB,01/02/2026,2.5,0,0\n"
    report, out = adapt_folder(tmp_path, CASES + COUNTS, {"crimes.csv": CRIMES, "log.csv": log})
    assert not (out / "contacts.csv").exists()
    assert report.problems == [
        f"log.csv: line {line}: column 'Number' (tables.contacts.count): value {value!r} is not a whole number of "
        f"rows from 0 to 1000 (1 rows, lines {line})"
        for value, line in [("-1", 3), ("1001", 3), ("2.5", 4), ("two", 2)]
    ]


def test_one_row_per_filled_column_when_the_cells_are_values(tmp_path):
    mapping = (
        CASES
        + """
[files.log]
path = "log.csv"

[tables.contacts]
from = "log"
unpivot = { columns_matching = 'Update \\d+', values_to = "When" }

[tables.contacts.columns]
case_id = { source = "Ref" }
contact_date = { source = "When", formats = ["%d/%m/%Y"] }
contact_type = { value = "update" }
"""
    )
    log = "Ref,Update 1,Notes,Update 2,Update 10\nA,01/02/2026,x,,09/02/2026\nB,-,y,03/02/2026,\n"
    report, out = adapt_folder(tmp_path, mapping, {"crimes.csv": CRIMES, "log.csv": log})
    assert report.ok, report.problems
    assert _contacts(out) == [("A", "2026-02-01", "update"), ("A", "2026-02-09", "update"),
                              ("B", "2026-02-03", "update")]  # fmt: skip
    report, _ = adapt_folder(tmp_path, mapping.replace("Update \\d+", "Contact \\d+"), {})
    assert report.problems == ["tables.contacts.unpivot.columns_matching: 'Contact \\\\d+' matches no column name of "
                               "log.csv"]  # fmt: skip


def test_repeated_blocks_of_columns_become_one_row_per_block(tmp_path):
    mapping = (
        CASES
        + """
[files.log]
path = "log.csv"

[tables.contacts]
from = "log"
[tables.contacts.unpivot]
names_to = "Block"
blocks = [
    { When = { name = "Date", occurrence = 1 }, Kind = { name = "Type", occurrence = 1 } },
    { When = { name = "Date", occurrence = 2 }, Kind = { name = "Type", occurrence = 2 } },
]

[tables.contacts.columns]
case_id = { source = "Ref" }
contact_date = { source = "When", formats = ["%d/%m/%Y"] }
contact_type = { source = "Kind", values = { U = "update", N = "needs_assessment" } }
"""
    )
    log = "Ref,Date,Type,Date,Type\nA,01/02/2026,N,04/02/2026,U\nB,02/02/2026,U,,\n"
    report, out = adapt_folder(tmp_path, mapping, {"crimes.csv": CRIMES, "log.csv": log})
    assert report.ok, report.problems
    assert _contacts(out) == [
        ("A", "2026-02-01", "needs_assessment"), ("A", "2026-02-04", "update"), ("B", "2026-02-02", "update"),
    ]  # fmt: skip
    assert next(t for t in report.table_details if t.table == "contacts").unpivot == "2 blocks to 3 rows"


def test_an_unpivot_name_may_not_hide_a_column_and_the_forms_do_not_mix(tmp_path):
    clash = COUNTS.replace('names_to = "Type"', 'names_to = "Date"')
    report, _ = adapt_folder(tmp_path, CASES + clash, {"crimes.csv": CRIMES, "log.csv": LOG})
    assert report.problems == [
        "tables.contacts.unpivot: 'Date' is already a column of log.csv; give the new column another name"
    ]
    mixed = COUNTS.replace('columns = ["Updates", "Needs", "NFA"]', 'columns = ["Updates"], columns_matching = "N.*"')
    report, _ = adapt_folder(tmp_path, CASES + mixed, {})
    assert report.problems[0].endswith(
        "tables.contacts.unpivot: give exactly one of columns, columns_matching or blocks"
    )
    missing = COUNTS.replace(', values_to = "Number"', "")
    report, _ = adapt_folder(tmp_path, CASES + missing, {})
    assert report.problems[0].endswith(
        "tables.contacts.unpivot: values_to is missing: name the column that holds each cell's value"
    )


def test_a_count_without_unpivot_repeats_rows_of_a_long_file(tmp_path):
    mapping = (
        CASES
        + """
[files.log]
path = "log.csv"

[tables.contacts]
from = "log"
count = { position = 4 }

[tables.contacts.columns]
case_id = { source = "Ref" }
contact_date = { source = "Date", formats = ["%d/%m/%Y"] }
contact_type = { source = "Type" }
"""
    )
    log = "Ref,Date,Type,\nA,01/02/2026,update,3\nB,02/02/2026,other,0\n"
    report, out = adapt_folder(tmp_path, mapping, {"crimes.csv": CRIMES, "log.csv": log})
    assert report.ok, report.problems
    assert _contacts(out) == [("A", "2026-02-01", "update")] * 3

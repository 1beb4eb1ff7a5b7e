"""Picking source columns: repeated header names by occurrence, any column by position."""

from pipelines.cli import main
from tests.adapt_helpers import adapt_rows, coverage

# A wide crime + victim + suspect row: the victim's block, then the suspect's, same names.
WIDE = (
    "Ref,Gender,Age (at offence),Ethnic description,Suspect,Gender,Age (at offence),Ethnic description\n"
    "A,Female,34,White - British,S1,Male,40,Black or Black British - African\n"
    "B,Male,,Asian or Asian British - Indian,S2,Female,19,White - Irish\n"
)
ETHNICITY_RULES = """
[[tables.cases.columns.{column}.rules]]
match = '^White'
value = "white"
[[tables.cases.columns.{column}.rules]]
match = '^Black'
value = "black"
[[tables.cases.columns.{column}.rules]]
match = '^Asian'
value = "asian"
"""


def test_a_repeated_header_name_is_a_mapping_error_that_says_how_to_pick_one(tmp_path):
    report, rows = adapt_rows(tmp_path, 'victim_sex = { source = "Gender" }', WIDE)
    assert rows == []
    assert report.problems == [
        "tables.cases.columns.victim_sex.source: column 'Gender' appears 2 times in the header of crimes.csv "
        '(columns 2 and 6); pick one with { name = "Gender", occurrence = 2 } (the second) or { position = 6 } '
        "(counting columns from 1)"
    ]


def test_the_victim_and_the_suspect_block_are_picked_by_occurrence_and_position(tmp_path):
    columns = (
        'victim_sex = { source = { name = "Gender" } }\n'
        "victim_age = { source = { position = 3 } }\n"
        'suspect_id = { source = "Suspect" }\n'
        'suspect_sex = { source = { name = "Gender", occurrence = 2 } }\n'
        'suspect_age = { source = { name = "Age (at offence)", occurrence = 2 } }\n'
    )
    extra = '[tables.cases.columns.victim_ethnicity]\nsource = { name = "Ethnic description", occurrence = 1 }\n'
    extra += ETHNICITY_RULES.format(column="victim_ethnicity")
    extra += "[tables.cases.columns.suspect_ethnicity]\nsource = { position = 8 }\n"
    extra += ETHNICITY_RULES.format(column="suspect_ethnicity")
    report, rows = adapt_rows(tmp_path, columns, WIDE, extra=extra)
    assert report.ok, report.problems
    picked = [
        (r["case_id"], r["victim_sex"], r.get("victim_age"), r["victim_ethnicity"],
         r["suspect_sex"], r["suspect_age"], r["suspect_ethnicity"])
        for r in rows
    ]  # fmt: skip
    assert picked == [
        ("A", "female", "34", "white", "male", "40", "black"),
        ("B", "male", None, "asian", "female", "19", "white"),
    ]
    sources = {c.column: c.source for c in report.columns}
    assert sources["suspect_sex"] == "Gender #2 (column 6)"
    assert sources["victim_age"] == "column 3 (Age (at offence))"
    assert sources["victim_sex"] == "Gender #1 (column 2)"
    assert coverage(report, "victim_age") == (1, 0, 1)


def test_a_value_problem_in_a_picked_column_names_the_occurrence(tmp_path):
    columns = 'suspect_sex = { source = { name = "Gender", occurrence = 2 } }\n'
    report, _ = adapt_rows(tmp_path, columns, WIDE.replace(",Female,19,", ",Woman,19,"))
    assert report.problems == [
        "crimes.csv: line 3: column 'Gender' #2 (column 6) (cases.suspect_sex): value 'Woman' is not covered by "
        'the mapping (1 rows, lines 3); add it to tables.cases.columns.suspect_sex or set unmapped = "unknown"'
    ]


def test_an_occurrence_or_position_that_does_not_exist_is_named(tmp_path):
    report, _ = adapt_rows(tmp_path, 'victim_sex = { source = { name = "Gender", occurrence = 3 } }', WIDE)
    assert report.problems == [
        "tables.cases.columns.victim_sex.source: crimes.csv has 2 column(s) named 'Gender'; there is no occurrence 3"
    ]
    report, _ = adapt_rows(tmp_path, "victim_age = { source = { position = 9 } }", WIDE)
    assert report.problems == ["tables.cases.columns.victim_age.source: crimes.csv has 8 columns; there is no column 9"]


def test_repeated_names_that_no_key_uses_do_not_stop_the_file(tmp_path):
    report, rows = adapt_rows(tmp_path, "", "Ref,Notes,Notes\nA,x,y\n")
    assert report.ok and [r["case_id"] for r in rows] == ["A"]


def test_filters_and_flags_pick_columns_the_same_way(tmp_path):
    raw = "Ref,Status,Status\nA,Open,Confirmed\nB,Open,No crime\n"
    options = 'drop = [{ column = { name = "Status", occurrence = 2 }, values = ["No crime"] }]'
    report, rows = adapt_rows(tmp_path, "", raw, crimes_options=options)
    assert report.ok and [r["case_id"] for r in rows] == ["A"] and report.files[0].dropped == 1
    report, _ = adapt_rows(tmp_path, "", raw, crimes_options='drop = [{ column = "Status", values = ["No crime"] }]')
    assert report.problems[0].startswith("files.crimes.drop.0.column: column 'Status' appears 2 times")


def test_a_pick_needs_a_name_or_a_position_and_not_both(tmp_path):
    mapping = tmp_path / "raw" / "mapping.toml"
    adapt_rows(tmp_path, "victim_age = { source = { position = 2, occurrence = 2 } }", "Ref\nA\n")
    assert main(["adapt", "--check", "--mapping", str(mapping)]) == 2
    report, _ = adapt_rows(tmp_path, "victim_age = { source = { position = 2, occurrence = 2 } }", "Ref\nA\n")
    assert report.mapping_error and report.problems[0].endswith(
        "tables.cases.columns.victim_age.source: occurrence goes with name, not with position"
    )
    report, _ = adapt_rows(tmp_path, "victim_age = { source = { occurrence = 2 } }", "Ref\nA\n")
    assert report.problems[0].endswith(
        "tables.cases.columns.victim_age.source: give name (with occurrence, default 1) or position "
        "(1 is the first column)"
    )
    report, _ = adapt_rows(tmp_path, 'victim_age = { source = { name = "Age", ocurrence = 2 } }', "Ref\nA\n")
    assert report.problems[0].endswith(
        "tables.cases.columns.victim_age.source.ocurrence: unknown key (check the spelling against docs/adapters.md)"
    )

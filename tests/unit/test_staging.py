"""CSV dialect details of the contract: BOM, CRLF, quoted line breaks, absent optional columns."""

import duckdb
import pytest
from dagster import build_sensor_context

from pipelines.contract import CASES, CONTACTS, TABLES
from pipelines.csvscan import CsvLayout
from pipelines.extracts import identifier_like, inspect_extract
from pipelines.resources import settings_from_env
from pipelines.sensors import new_extract_sensor
from pipelines.staging import MalformedCsv, load_csv, stage_table_ddl
from tests.conftest import write_extract


def test_bom_crlf_quoted_line_breaks_and_absent_optional_columns(tmp_path):
    folder = tmp_path / "X"
    folder.mkdir()
    (folder / "cases.csv").write_bytes(
        "\ufeffcase_id,offence_code,reported_date,extra note\r\n"
        'C1,19C,2026-01-01,"two\r\nlines"\r\n'
        'C2,19C,2026-01-02,""\r\n'
        "C3,,2026-01-03,x\r\n".encode()
    )
    extract = inspect_extract(folder, tmp_path)
    found = extract.files["cases"]
    assert found.columns == ("case_id", "offence_code", "reported_date", "extra note")
    assert found.ignored_columns == ("extra note",)
    con = duckdb.connect()
    con.execute(stage_table_ddl(CASES))
    assert load_csv(con, "X", CASES, found.path, list(found.columns)) == 3
    rows = con.execute("select line_number, case_id, offence_code, victim_age from stage_cases order by 1").fetchall()
    # C1 starts on line 2 and spans two lines, so C2 is on line 4.
    assert rows == [(2, "C1", "19C", None), (4, "C2", "19C", None), (5, "C3", None, None)]


def stage(tmp_path, text: bytes):
    path = tmp_path / "contacts.csv"
    path.write_bytes(text)
    con = duckdb.connect()
    con.execute(stage_table_ddl(CONTACTS))
    header = ["case_id", "contact_date", "contact_type"]
    load_csv(con, "X", CONTACTS, path, header)
    return con.execute("select line_number, case_id, contact_type from stage_contacts order by 1").fetchall()


HEADER = b"case_id,contact_date,contact_type\n"


def test_rows_after_blank_lines_keep_their_physical_line(tmp_path):
    rows = stage(tmp_path, HEADER + b"C1,2026-01-01,update\n\n\n\nC2,2026-01-02,other\n")
    assert rows == [(2, "C1", "update"), (6, "C2", "other")]


def test_a_bad_record_after_blank_lines_and_quoted_breaks_is_reported_at_its_line(tmp_path):
    text = HEADER + b'"C\n1",2026-01-01,update\n\n\nC2,2026-01-02\n'
    with pytest.raises(MalformedCsv, match=r"X/contacts.csv: line 6: record has 2 fields, the header has 3"):
        stage(tmp_path, text)


@pytest.mark.parametrize(
    "row, message",
    [
        (b'C1,2026-01-01,upd"ate\n', "line 2, column 3: a quote inside an unquoted value"),
        (b'C1,2026-01-01,"upd"ate\n', "line 2, column 3: text after the closing quote of a value"),
        (b'C1,2026-01-01,"update\nC2,2026-01-02,other\n', "line 2, column 3: a quoted value is never closed"),
        (b"C1,2026-01-01,upd\x96ate\n", "line 2, column 3: not valid UTF-8"),
    ],
)
def test_quoting_and_encoding_faults_reject_the_file_naming_line_and_column(tmp_path, row, message):
    with pytest.raises(MalformedCsv, match=message):
        stage(tmp_path, HEADER + b"C0,2026-01-01,update\n"[:0] + row)


def test_doubled_quotes_and_quoted_separators_are_values(tmp_path):
    rows = stage(tmp_path, HEADER + b'"C,1",2026-01-01,"say ""hi"""\n')
    assert rows == [(2, "C,1", 'say "hi"')]


def inspected_contacts(tmp_path, text: bytes):
    """contacts.csv with `text` in an extract of its own, inspected; and the problems found in it."""
    folder = tmp_path / "X"
    folder.mkdir()
    (folder / "contacts.csv").write_bytes(text)
    extract = inspect_extract(folder, tmp_path)
    return extract, [p for p in extract.problems if "contacts.csv" in p]


@pytest.mark.parametrize(
    "header, ignored",
    [
        (b"case_id,contact_date,contact_type,ordinality", ("ordinality",)),  # the reader's own column name
        (b"case_id,contact_date,contact_type,CASE_ID", ("CASE_ID",)),  # the same name to SQL, not to the contract
        (b"case_id,contact_date,contact_type,Notes,notes", ("Notes", "notes")),
        (b"case_id,contact_date,contact_type,", ("",)),  # a trailing separator on every line
        (b"case_id,contact_date,contact_type,note\x00x", ("note\\x00x",)),
    ],
)
def test_any_ignored_column_name_is_read_past(tmp_path, header, ignored):
    extras = header.count(b",") - 2
    extract, problems = inspected_contacts(tmp_path, header + b"\nC1,2026-01-01,update" + b",x" * extras + b"\n")
    assert problems == []
    found = extract.files["contacts"]
    assert found.ignored_columns == ignored
    con = duckdb.connect()
    con.execute(stage_table_ddl(CONTACTS))
    assert load_csv(con, "X", CONTACTS, found.path, list(found.columns)) == 1
    assert con.execute("select line_number, case_id, contact_type from stage_contacts").fetchall() == [
        (2, "C1", "update")
    ]


@pytest.mark.parametrize(
    "body, message",
    [
        # DuckDB's reader takes one kind of line end per file; mixing them stopped the whole run.
        (b"C1,2026-01-01,update\r\nC2,2026-01-02,other\n", r"line 3: ends with LF where line 1 ends with CRLF"),
        (b"C1,2026-01-01,update\n\r\n", r"line 3: ends with CRLF where line 1 ends with LF"),
        (b"C1,2\r026-01-01,update\n", r"line 2, column 2: a carriage return that does not end a line"),
        # The reader drops one empty field too many without a word.
        (b"C1,2026-01-01,update\nC2,2026-01-02,other,\n", r"line 3: record has 4 fields, the header has 3$"),
        (b'"C1",2026-01-01,"update",""\n', r"line 2: record has 4 fields, the header has 3$"),
        # One message for a line of spaces, not a second, false one about the next line.
        (b"C1,2026-01-01,update\n   \nC2,2026-01-02,other\n", r"line 3: record has 1 fields, the header has 3$"),
    ],
)
def test_line_end_and_field_count_faults_reject_the_file_naming_the_line(tmp_path, body, message):
    header = b"case_id,contact_date,contact_type\r\n" if body.startswith(b"C1,2026-01-01,update\r\n") else HEADER
    with pytest.raises(MalformedCsv, match=r"^X/contacts.csv: " + message):
        stage(tmp_path, header + body)


def test_an_error_of_the_csv_reader_is_the_files_problem_not_the_runs(tmp_path, monkeypatch):
    import pipelines.staging

    # Without the scan's check, mixed line ends stop DuckDB's reader with an error of its own.
    monkeypatch.setattr(pipelines.staging, "layout_of", lambda path: CsvLayout(None))
    with pytest.raises(MalformedCsv, match=r"^X/contacts.csv: the CSV reader cannot read the file: .*state machine"):
        stage(tmp_path, HEADER + b"C1,2026-01-01,update\r\nC2,2026-01-02,other\n")


@pytest.mark.parametrize(
    "text, message",
    [
        (b"case_id,contact_date,contact_type\rC1,2026-01-01,update\r",
         "X/contacts.csv: line 1, column 3: a carriage return that does not end a line (lines end with LF or CRLF)"),
        (b"case_id,contact_date,con\xfftact_type\nC1,2026-01-01,update\n",
         "X/contacts.csv: line 1, column 3: not valid UTF-8"),
    ],
)  # fmt: skip
def test_a_header_that_cannot_be_read_is_rejected_naming_file_line_and_column(tmp_path, text, message):
    assert inspected_contacts(tmp_path, text)[1] == [message]


@pytest.mark.parametrize(
    "manifest, message",
    [
        ('{"schema_version": "1.1", "force_code": "AAA", "extracted_at": "2026-10-31T23:00:00Z", "force_code": "BBB"}',
         "X/manifest.json: key 'force_code' is given twice"),
        ('{"schema_version": 1.1, "force_code": "AAA", "extracted_at": "2026-10-31T23:00:00Z"}',
         'X/manifest.json: schema_version 1.1 is a number; it must be text such as "1.1"'),
    ],
)  # fmt: skip
def test_a_repeated_key_or_a_number_for_text_in_the_manifest_is_named(tmp_path, manifest, message):
    folder = tmp_path / "X"
    folder.mkdir()
    (folder / "manifest.json").write_text(manifest)
    assert message in inspect_extract(folder, tmp_path).problems


def test_identifier_like_names():
    identifiers = [
        "VictimName",
        "VictimDOB",
        "MobilePhone",
        "NHSNo",
        "NI_Number",
        "Email1",
        "Surname",
        "TelNo",
        "National Insurance No",
        "victim_phone",
        "victim_name",
        "Victim Name",
        "DOB",
        "date_of_birth",
        "Post Code",
        "postcode",
        "phone_number",
        "Email",
        "e-mail",
        "nhs_number",
        "PNC ID",
        "crime_reference",
        "crime_ref_no",
        "address_line_1",
    ]
    for name in identifiers:
        assert identifier_like(name), name
    contract = [c.name for t in TABLES for c in t.columns]
    for name in [*contract, "Offence Name", "phone_seized", "Ethnic description", "Notes"]:
        assert not identifier_like(name), name


def test_sensor_requests_a_run_only_for_new_extracts(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = settings_from_env(inbox=str(inbox), out_dir=str(tmp_path / "out"))
    first = new_extract_sensor(build_sensor_context(cursor=None, resources={"settings": settings}))
    assert "no new extracts" in str(first)
    write_extract(inbox, "AAA", "2026-06-15T21:30:00Z", [], [], [])
    context = build_sensor_context(cursor=None, resources={"settings": settings})
    request = new_extract_sensor(context)
    assert request.run_key
    again = new_extract_sensor(build_sensor_context(cursor=context.cursor, resources={"settings": settings}))
    assert "no new extracts" in str(again)


SCAN_FILES = [
    HEADER + b'C1,2026-01-01,"up\ndate"\n\nC2,2026-01-02,"a,b"\r\n'.replace(b"\r\n", b"\n"),
    b"case_id,contact_date,contact_type\r\n" + b'"C\r\n1",2026-01-01,"say ""hi"""\r\n\r\nC2,,\r\n',
    HEADER + b"".join(b'C%d,2026-01-01,"x\n%s"\n' % (i, b"y" * i) for i in range(12)) + b"\n\n",
]


@pytest.mark.parametrize("text", SCAN_FILES)
def test_the_byte_scan_agrees_with_pythons_csv_reader_whatever_the_block_size(tmp_path, monkeypatch, text):
    import csv
    import io

    import pipelines.csvscan as csvscan

    path = tmp_path / "f.csv"
    path.write_bytes(text)
    # An independent reading: Python's csv module, each record's first line from line_num.
    reader, expected, last = csv.reader(io.StringIO(text.decode(), newline="")), [], 0
    for record in reader:
        if record:
            expected.append(last + 1)
        last = reader.line_num
    for block in (1 << 26, 3, 5, 7, 64):
        monkeypatch.setattr(csvscan, "BLOCK", block)
        layout = csvscan.layout_of(path)
        lines = list(range(2, layout.records + 2)) if layout.record_lines is None else list(layout.record_lines)
        assert lines == expected[1:], block

"""CSV dialect details of the contract: BOM, CRLF, quoted line breaks, absent optional columns."""

import duckdb
from dagster import build_sensor_context

from pipelines.contract import CASES
from pipelines.extracts import identifier_like, inspect_extract
from pipelines.resources import settings_from_env
from pipelines.sensors import new_extract_sensor
from pipelines.staging import load_csv, stage_table_ddl
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


def test_identifier_like_names():
    identifiers = [
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
    for name in ["case_id", "officer_id", "suspect_id", "victim_age", "offence_code", "device_id", "consent"]:
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

"""Reading raw files: encodings, dropped and repeat rows, joins, manifest facts, the CLI."""

from pipelines.adapt.adapter import detect_encoding
from pipelines.cli import main
from tests.adapt_helpers import adapt_rows

RELATIONSHIP = 'relationship = { source = "Rel", values = { "Known by sight" = "acquaintance" } }'
# "Known by sight" with a non-breaking space (0xA0) and an en-dash label (0x96), Windows-1252.
WINDOWS = b"Ref,Rel,Eth\r\nA,Known by\xa0sight,IC1 \x96 White\r\nB,Known by sight,IC3 - Black\r\n"
ETHNICITY = 'victim_ethnicity = { source = "Eth", values = { "IC1 - White" = "white", "IC3 - Black" = "black" } }'


def test_encoding_is_detected_when_declared_auto(tmp_path):
    (tmp_path / "w.csv").write_bytes(WINDOWS)
    (tmp_path / "u.csv").write_bytes(WINDOWS.decode("cp1252").encode("utf-8"))
    (tmp_path / "a.csv").write_bytes(b"Ref\nA\n")
    assert [detect_encoding(tmp_path / n) for n in ("w.csv", "u.csv", "a.csv")] == ["cp1252", "utf-8", "utf-8"]
    report, rows = adapt_rows(tmp_path, RELATIONSHIP + "\n" + ETHNICITY, WINDOWS, encoding="auto")
    assert report.ok and report.files[0].encoding == "cp1252"
    assert [(r["relationship"], r["victim_ethnicity"]) for r in rows] == [
        ("acquaintance", "white"), ("acquaintance", "black"),
    ]  # fmt: skip


def test_a_wrong_encoding_declaration_is_an_error_naming_line_and_byte(tmp_path):
    report, _ = adapt_rows(tmp_path, RELATIONSHIP, WINDOWS, encoding="utf-8")
    assert report.problems == ["crimes.csv: line 2, byte 11: not valid UTF-8 (declared utf-8; is it cp1252?)"]
    report, _ = adapt_rows(tmp_path, RELATIONSHIP, WINDOWS.decode("cp1252").encode("utf-8"), encoding="cp1252")
    assert report.problems == [
        "crimes.csv: declared cp1252, but the file is valid UTF-8 with non-ASCII characters; declare utf-8"
    ]
    report, _ = adapt_rows(tmp_path, RELATIONSHIP, b"Ref,Rel\nA,x\x81y\n", encoding="cp1252")
    assert report.problems == ["crimes.csv: line 2, byte 4: 0x81 is not a Windows-1252 character"]


def test_repeat_rows_are_dropped_by_the_duplicate_flag_and_unknown_flags_stop(tmp_path):
    raw = "Ref,Sus,Dup\nA,S1,Original\nA,S2,1 yes\nB,S3,0\nB,S4,1 YES\n"
    mapping = 'suspect_id = { source = "Sus" }\n'
    report, rows = _with_file_options(tmp_path, mapping, raw, 'duplicates = { column = "Dup", keep = ["Original", "0"],'
                                      ' drop = ["1 yes"] }')  # fmt: skip
    assert report.ok and [(r["case_id"], r["suspect_id"]) for r in rows] == [("A", "S1"), ("B", "S3")]
    assert (report.files[0].rows, report.files[0].duplicates_dropped) == (4, 2)
    report, rows = _with_file_options(tmp_path, mapping, raw + "C,S5,\n", 'duplicates = { column = "Dup", keep = ["0"]'
                                      ', drop = ["1 yes"] }')  # fmt: skip
    assert report.problems == [
        "crimes.csv: line 2: duplicate flag (files.crimes.duplicates): column 'Dup' value 'Original' (1 rows, "
        "lines 2) is neither in keep nor in drop",
        "crimes.csv: line 6: duplicate flag (files.crimes.duplicates): column 'Dup' value blank (1 rows, "
        "lines 6) is neither in keep nor in drop",
    ]


def test_drop_rules_leave_out_administrative_rows(tmp_path):
    raw = "Ref,Status\nA,Confirmed\nNC1,NC - No crime\nB,confirmed\nNC2,nc \u2013 no crime\n"
    report, rows = _with_file_options(tmp_path, "", raw, 'drop = [{ column = "Status", values = ["NC - No crime"] }]')
    assert report.ok and [r["case_id"] for r in rows] == ["A", "B"] and report.files[0].dropped == 2
    # With `keep`, a status in neither list stops the extract instead of passing silently.
    rule = 'drop = [{ column = "Status", values = ["NC - No crime"], keep = ["Confirmed"] }]'
    report, _ = _with_file_options(tmp_path, "", raw + "C,Transferred\n", rule)
    assert report.problems == [
        "crimes.csv: line 6: drop rule (files.crimes.drop.0): column 'Status' value 'Transferred' (1 rows, "
        "lines 6) is neither in values nor in keep"
    ]


def test_joined_files_give_columns_and_must_not_repeat_rows(tmp_path):
    extra = (
        '[files.suspects]\npath = "suspects.csv"\n[[tables.cases.join]]\nfile = "suspects"\non = { "Ref" = "Crime" }\n'
    )
    suspects = "Crime,Suspect,Ref\nA,S1,x\nC,S3,y\n"
    columns = 'suspect_id = { source = "Suspect" }\n'
    report, _ = adapt_rows(tmp_path, columns, "Ref\nA\nB\n", extra=extra, files={"suspects.csv": suspects})
    # "Ref" is in both files, so case_id must say which.
    assert report.problems == [
        "tables.cases.columns.case_id.source: column 'Ref' is in crimes and suspects; say which with file = \"...\""
    ]
    fixed = columns + 'case_id = { source = "Ref", file = "crimes" }\n'
    report, rows = adapt_rows(tmp_path, fixed, "Ref\nA\nB\n", extra=extra, files={"suspects.csv": suspects})
    assert report.ok and [(r["case_id"], r.get("suspect_id")) for r in rows] == [("A", "S1"), ("B", None)]
    report, _ = adapt_rows(tmp_path, fixed, "Ref\nA\n", extra=extra, files={"suspects.csv": suspects + "A,S2,z\n"})
    assert report.problems == [
        "suspects.csv: line 2: 1 key(s) of tables.cases.join.0 have more than one row after de-duplication, "
        "so the join would repeat rows"
    ]


def test_manifest_facts_from_a_sidecar_and_a_file_name(tmp_path):
    head = (
        "force_code = { file_name = \"crimes\", pattern = '([A-Z]+)_.*' }\n"
        'extracted_at = { sidecar = "run.txt", pattern = \'Run at: (.+)\', format = "%d/%m/%Y %H:%M" }\n'
    )
    report, _ = adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=head, crimes_name="WEST_crimes.csv",
        files={"run.txt": "Export\nRun at: 20/08/2026 10:15\n"},
    )  # fmt: skip
    assert report.ok and (report.force_code, report.extracted_at) == ("WEST", "2026-08-20T09:15:00+00:00")
    manifest = (tmp_path / "out" / "manifest.json").read_text()
    assert '"extracted_at": "2026-08-20T09:15:00+00:00"' in manifest and '"source_system": "test system"' in manifest
    report, _ = adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=head, crimes_name="WEST_crimes.csv", files={"run.txt": "no time\n"}
    )
    assert report.problems == ["manifest.extracted_at.pattern: 'Run at: (.+)' does not match any whole line of run.txt"]


def test_cli_check_prints_coverage_and_exits_2_on_an_unmapped_value(tmp_path, capsys):
    report, _ = adapt_rows(tmp_path, RELATIONSHIP, "Ref,Rel\nA,Known by sight\nB,\n")
    mapping, source = tmp_path / "raw" / "mapping.toml", tmp_path / "raw"
    assert main(["adapt", "--check", "--mapping", str(mapping), "--source", str(source)]) == 0
    printed = capsys.readouterr().out
    assert "| cases.relationship | crimes | Rel | error | 1 | 0 | 1 |" in printed
    (source / "crimes.csv").write_text("Ref,Rel\nA,Neighbour\n")
    assert main(["adapt", "--check", "--mapping", str(mapping), "--source", str(source)]) == 2
    assert "- cases.relationship (crimes.csv: Rel): 'Neighbour' x1 (unmapped), lines 2" in capsys.readouterr().out
    out = tmp_path / "cli-out"
    assert main(["adapt", "--mapping", str(mapping), "--source", str(source), "--out", str(out)]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["adapt_report.json", "adapt_report.md"]


def _with_file_options(tmp_path, columns, raw, options):
    return adapt_rows(tmp_path, columns, raw, crimes_options=options)


def test_the_sensor_fingerprints_raw_exports_too(tmp_path):
    from pipelines.sensors import manifest_fingerprints

    raw = tmp_path / "raw" / "EASTC" / "2026-10-31"
    raw.mkdir(parents=True)
    (raw / "mapping.toml").write_text("x")
    (raw / "crimes.csv").write_text("Ref\n")
    (tmp_path / "raw" / "NOMAP").mkdir()
    (tmp_path / "raw" / "NOMAP" / "crimes.csv").write_text("Ref\n")
    found = [f.split(":")[0] for f in manifest_fingerprints(tmp_path)]
    assert found == ["raw/EASTC/2026-10-31/crimes.csv", "raw/EASTC/2026-10-31/mapping.toml"]


def test_a_semicolon_file_with_month_names_and_a_decoy_token(tmp_path):
    report, rows = adapt_rows(
        tmp_path,
        'offence_date = { source = "Offence on", formats = ["%d-%b-%Y"], null = ["Decoy"] }',
        "Ref;Offence on\nA;31-Jan-2019\nB;Decoy\nC;07-Aug-2025\n",
        crimes_options='delimiter = ";"',
    )
    assert report.ok and [r.get("offence_date") for r in rows] == ["2019-01-31", None, "2025-08-07"]


def test_title_lines_above_the_header_are_skipped_and_lines_keep_their_numbers(tmp_path):
    raw = 'RASSO report, "all crimes"\nRun by analyst\n\nRef,Rel\nA,Known by sight\nB,Lodger\n'
    report, _ = adapt_rows(tmp_path, RELATIONSHIP, raw, crimes_options="header_line = 4")
    # Lodger is on the file's line 6.
    assert report.problems == [
        "crimes.csv: line 6: column 'Rel' (cases.relationship): value 'Lodger' is not covered by the mapping "
        '(1 rows, lines 6); add it to tables.cases.columns.relationship or set unmapped = "unknown"'
    ]
    report, rows = adapt_rows(tmp_path, RELATIONSHIP, raw.replace("B,Lodger\n", ""), crimes_options="header_line = 4")
    assert report.ok and [(r["case_id"], r["relationship"]) for r in rows] == [("A", "acquaintance")]


def test_a_column_name_that_differs_only_in_spaces_or_capitals_is_pointed_out(tmp_path):
    report, _ = adapt_rows(tmp_path, 'relationship = { source = "rel" }', "Ref,Rel \nA,x\n")
    assert report.problems == [
        "tables.cases.columns.relationship.source: column 'rel' is in none of crimes.csv; crimes.csv has 'Rel ' "
        "(spaces or capitals differ)"
    ]
    report, _ = adapt_rows(tmp_path, "", "Ref,Status \nA,x\n", crimes_options='only = [{ column = "status", '
                           'values = ["x"] }]')  # fmt: skip
    assert report.problems == [
        "files.crimes.only.0.column: column 'status' is not in the header of crimes.csv; crimes.csv has 'Status ' "
        "(spaces or capitals differ)"
    ]


def test_line_numbers_count_blank_lines(tmp_path):
    # Found by probing: a blank line (LF or CRLF) was skipped by the reader without being counted,
    # so every later problem named the line before its own.
    raw = 'Ref,Rel\nA,"Known\nby sight"\n\nB,Neighbour\n\r\nC,Friend\n'
    report, _ = adapt_rows(tmp_path, RELATIONSHIP, raw.encode(), encoding="utf-8")
    found = {value: problem.split(":")[1].strip() for problem in report.problems
             for value in ("Neighbour", "Friend") if f"'{value}'" in problem}  # fmt: skip
    assert found == {"Neighbour": "line 5", "Friend": "line 7"}


def test_a_short_record_after_a_quoted_line_break_is_named_at_its_own_line(tmp_path):
    # The reader numbers records, not lines: B, on line 4, was reported on line 3.
    report, _ = adapt_rows(tmp_path, RELATIONSHIP, b'Ref,Rel\nA,"Known\nby sight"\nB\n', encoding="utf-8")
    assert report.problems == ["crimes.csv: line 4: record has 1 fields, the header has 2"]

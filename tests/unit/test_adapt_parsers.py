"""Each parser, null-token rule and value map of the adapter, on hand-written raw rows."""

import pytest

from tests.adapt_helpers import adapt_rows, coverage


def test_dates_try_formats_in_order_with_a_two_digit_year_pivot(tmp_path):
    report, rows = adapt_rows(
        tmp_path,
        'offence_date = { source = "Date", formats = ["%d/%m/%Y", "%d/%m/%y"] }',
        "Ref,Date\nA,31/01/2019\nB,31/01/19\nC,01/02/68\nD,01/02/69\nE,29/02/2019\n",
    )
    # 29/02/2019 is no date at all, so no extract is written.
    assert rows == []
    assert report.problems == [
        "crimes.csv: line 6: column 'Date' (cases.offence_date): value '29/02/2019' is not covered by the mapping "
        '(1 rows, lines 6); add it to tables.cases.columns.offence_date or set unmapped = "unknown"'
    ]
    report, rows = adapt_rows(
        tmp_path,
        'offence_date = { source = "Date", formats = ["%d/%m/%Y", "%d/%m/%y"] }',
        "Ref,Date\nA,31/01/2019\nB,31/01/19\nC,01/02/68\nD,01/02/69\n",
    )
    # %Y does not take "19" as the year 19, so the second format reads it; %y puts 00-68
    # in 2000-2068 and 69-99 in 1969-1999.
    assert report.ok
    assert [r["offence_date"] for r in rows] == ["2019-01-31", "2019-01-31", "2068-02-01", "1969-02-01"]


def test_excel_serials_count_from_1899_12_30_and_refuse_the_leap_year_bug_range(tmp_path):
    report, rows = adapt_rows(
        tmp_path,
        'offence_date = { source = "Date", formats = ["excel", "%d/%m/%Y"] }',
        "Ref,Date\nA,43466\nB,61\nC,45961\nD,02/01/2019\n",
    )
    assert report.ok
    assert [r["offence_date"] for r in rows] == ["2019-01-01", "1900-03-01", "2025-10-31", "2019-01-02"]
    report, _ = adapt_rows(tmp_path, 'offence_date = { source = "Date", formats = ["excel"] }', "Ref,Date\nA,60\n")
    assert "value '60' is not covered" in report.problems[0]


def test_text_in_a_date_column_is_null_only_when_declared(tmp_path):
    column = 'victim_withdrawal_date = { source = "W", formats = ["%d/%m/%Y"], null = ["No incident linked"] }'
    raw = "Ref,W\nA,No incident linked\nB,CANCELLED\nC,#N/A\nD,03/04/2026\n"
    report, _ = adapt_rows(tmp_path, column, raw)
    assert report.problems == [
        "crimes.csv: line 3: column 'W' (cases.victim_withdrawal_date): value 'CANCELLED' is not covered by the "
        'mapping (1 rows, lines 3); add it to tables.cases.columns.victim_withdrawal_date or set unmapped = "unknown"'
    ]
    column = column.replace('"No incident linked"]', '"No incident linked", "CANCELLED"]')
    report, rows = adapt_rows(tmp_path, column, raw)
    assert report.ok and coverage(report, "victim_withdrawal_date") == (1, 0, 3)
    assert [r.get("victim_withdrawal_date") for r in rows] == [None, None, None, "2026-04-03"]


def test_integers_accept_whole_numbers_only(tmp_path):
    report, rows = adapt_rows(
        tmp_path,
        'victim_age = { source = "Age", unmapped = "unknown" }',
        "Ref,Age\nA,34\nB,25.0\nC,12.5\nD,Not recorded\nE,-\n",
    )
    assert report.ok and coverage(report, "victim_age") == (2, 1, 2)
    assert [r.get("victim_age") for r in rows] == ["34", "25", None, None, None]
    assert [(v.value, v.count, v.lines) for c in report.columns for v in c.unmapped_values] == [("12.5", 1, [4])]


def test_null_tokens_and_value_maps_ignore_case_spaces_and_dashes(tmp_path):
    # A non-breaking space (U+00A0) and an en dash (U+2013) as a Windows export carries them.
    raw = (
        "Ref,Sex,Eth\nA,female ,IC1 \u2013 White N European\nB,F,ic3 - black\nC,  null  ,#N/A\n"
        "D,Female\u00a0/  Transgender Female,IC9 - Unknown\n"
    )
    report, rows = adapt_rows(
        tmp_path,
        'victim_sex = { source = "Sex", values = { F = "female", "Female / Transgender Female" = "female" } }\n'
        'victim_ethnicity = { source = "Eth", values = { "IC1 - White N European" = "white", "IC3 - Black" = "black",'
        ' "IC9 - Unknown" = "unknown" } }',
        raw,
    )
    assert report.ok
    assert [(r.get("victim_sex"), r.get("victim_ethnicity")) for r in rows] == [
        ("female", "white"), ("female", "black"), (None, None), ("female", "unknown"),
    ]  # fmt: skip
    assert coverage(report, "victim_sex") == (3, 0, 1)


def test_pattern_keeps_the_code_and_contract_codes_pass_as_they_are(tmp_path):
    raw = (
        "Ref,Outcome\nA,16\nB,OC16\nC,i. Evidential difficulties: suspect identified; victim does not support (OC16)\n"
        "D,oc1a\nE,OC19\n"
    )
    report, rows = adapt_rows(
        tmp_path,
        'outcome_code = { source = "Outcome", pattern = \'(\\d{1,2}[Aa]?)\\)?$\', unmapped = "unknown" }\n'
        'outcome_date = { value = "2026-02-01", formats = ["%Y-%m-%d"] }',
        raw,
    )
    assert report.ok
    # 19 is not a Home Office outcome type; outcome_code has no `unknown` code, so it is left blank.
    assert [r.get("outcome_code") for r in rows] == ["16", "16", "16", "1A", None]
    assert coverage(report, "outcome_code") == (4, 1, 0)


def test_rules_derive_a_value_from_a_text_label_first_match_wins(tmp_path):
    rules = (
        '\n[tables.cases.columns.offence_code]\nsource = "HO Text"\n'
        '[[tables.cases.columns.offence_code.rules]]\nmatch = "^rape - female aged 16"\nvalue = "19C"\n'
        '[[tables.cases.columns.offence_code.rules]]\nmatch = "^rape"\nvalue = "19"\n'
    )
    raw = "Ref,HO Text\nA,Rape \u2013 female aged 16 or over\nB,RAPE of a male\nC,Sexual assault\n"
    report, rows = adapt_rows(tmp_path, "", raw, extra=rules)
    assert report.problems and "value 'Sexual assault' is not covered" in report.problems[0]
    report, rows = adapt_rows(tmp_path, "", raw.replace("C,Sexual assault\n", ""), extra=rules)
    assert report.ok and [r["offence_code"] for r in rows] == ["19C", "19"]


def test_unmapped_policy_error_stops_the_extract_and_unknown_counts_it(tmp_path):
    raw = "Ref,Rel\nA,Ex partner\nB,Neighbour\nC,Neighbour\nD,Lodger\n"
    column = 'relationship = { source = "Rel", values = { "Ex partner" = "intimate" } }'
    report, rows = adapt_rows(tmp_path, column, raw)
    assert not report.ok and rows == [] and not (tmp_path / "out" / "manifest.json").exists()
    assert [p.split(": value ")[1].split(" is")[0] for p in report.problems] == ["'Neighbour'", "'Lodger'"]
    assert "(2 rows, lines 3, 4)" in report.problems[0]
    report, rows = adapt_rows(tmp_path, column, raw, unmapped="unknown")
    assert report.ok and [r["relationship"] for r in rows] == ["intimate", "unknown", "unknown", "unknown"]
    assert coverage(report, "relationship") == (1, 3, 0)
    found = next(c for c in report.columns if c.column == "relationship")
    values = [(v.value, v.count, v.lines) for v in found.unmapped_values]
    assert values == [("Neighbour", 2, [3, 4]), ("Lodger", 1, [5])]
    assert (tmp_path / "out" / "manifest.json").exists()


def test_a_column_policy_overrides_the_default(tmp_path):
    raw = "Ref,Rel\nA,Neighbour\n"
    column = 'relationship = { source = "Rel", values = { "Ex partner" = "intimate" }, unmapped = "error" }'
    report, _ = adapt_rows(tmp_path, column, raw, unmapped="unknown")
    assert not report.ok


def test_booleans_need_a_map_or_the_words_true_and_false(tmp_path):
    report, rows = adapt_rows(
        tmp_path,
        'domestic_abuse = { source = "DA", values = { Y = "true", N = "false" } }\n'
        'third_party_report = { source = "TP" }',
        "Ref,DA,TP\nA,y,TRUE\nB,N,false\n",
    )
    assert report.ok
    assert [(r["domestic_abuse"], r["third_party_report"]) for r in rows] == [("true", "true"), ("false", "false")]


def test_several_sources_take_the_first_that_is_not_blank(tmp_path):
    report, rows = adapt_rows(
        tmp_path,
        'officer_id = { source = ["OIC", "Reviewing officer"] }',
        "Ref,OIC,Reviewing officer\nA,O1,O9\nB,NULL,O9\nC,,\n",
    )
    assert report.ok and [r.get("officer_id") for r in rows] == ["O1", "O9", None]


@pytest.mark.parametrize(
    ("ambiguous", "expected"),
    [("earlier", "2026-10-25T00:30:00Z"), ("later", "2026-10-25T01:30:00Z")],
)
def test_autumn_repeated_hour_follows_the_declared_rule(tmp_path, ambiguous, expected):
    extra = '[files.devices]\npath = "devices.csv"\n'
    devices = "Dev,Ref,Seized\nD1,A,25/10/2026 01:30\nD2,A,25/10/2026 02:30\nD3,A,20/08/2026 10:15\n"
    report, _ = _devices(tmp_path, extra, devices, ambiguous=ambiguous)
    assert report.ok
    seized = (tmp_path / "out" / "devices.csv").read_text().splitlines()
    assert [line.split(",")[5] for line in seized[1:]] == [expected, "2026-10-25T02:30:00Z", "2026-08-20T09:15:00Z"]


def test_clock_change_hours_are_errors_when_declared_so(tmp_path):
    extra = '[files.devices]\npath = "devices.csv"\n'
    devices = "Dev,Ref,Seized\nD1,A,25/10/2026 01:30\nD2,A,29/03/2026 01:30\n"
    report, _ = _devices(tmp_path, extra, devices)
    assert report.problems == [
        "devices.csv: line 2: column 'Seized' (devices.seized_at): local time '25/10/2026 01:30' is ambiguous in "
        'Europe/London (1 rows, lines 2); time.ambiguous is "error"',
        "devices.csv: line 3: column 'Seized' (devices.seized_at): local time '29/03/2026 01:30' is nonexistent in "
        'Europe/London (1 rows, lines 3); time.nonexistent is "error"',
    ]


def test_spring_missing_hour_shifts_forward_by_the_gap(tmp_path):
    extra = '[files.devices]\npath = "devices.csv"\n'
    devices = "Dev,Ref,Seized\nD1,A,29/03/2026 01:30\nD2,A,29/03/2026 00:59\nD3,A,29/03/2026 02:00\n"
    report, _ = _devices(tmp_path, extra, devices, nonexistent="shift_forward")
    assert report.ok
    seized = (tmp_path / "out" / "devices.csv").read_text().splitlines()
    # 01:30 does not exist: read with the offset before the gap (GMT), i.e. 02:30 BST.
    assert [line.split(",")[5] for line in seized[1:]] == [
        "2026-03-29T01:30:00Z", "2026-03-29T00:59:00Z", "2026-03-29T01:00:00Z",
    ]  # fmt: skip


def test_timestamps_with_an_offset_and_excel_fractions(tmp_path):
    extra = '[files.devices]\npath = "devices.csv"\n'
    devices = "Dev,Ref,Seized\nD1,A,2026-07-01 10:00:00+0100\nD2,A,46204.5\n"
    report, _ = _devices(tmp_path, extra, devices, formats='["%Y-%m-%d %H:%M:%S%z", "excel"]')
    assert report.ok
    seized = (tmp_path / "out" / "devices.csv").read_text().splitlines()
    # 46204.5 is noon on 2026-07-01, London time (BST).
    assert [line.split(",")[5] for line in seized[1:]] == ["2026-07-01T09:00:00Z", "2026-07-01T11:00:00Z"]


def _devices(tmp_path, extra, devices, formats='["%d/%m/%Y %H:%M"]', **kwargs):
    extra = extra + (
        '[tables.devices.columns]\ndevice_id = { source = "Dev" }\ncase_id = { source = "Ref" }\n'
        f'owner = {{ value = "victim" }}\nseized_at = {{ source = "Seized", formats = {formats} }}\n'
    )
    report, rows = adapt_rows(tmp_path, "", "Ref\nA\n", extra=extra, files={"devices.csv": devices}, **kwargs)
    return report, rows


def test_the_first_timestamp_format_that_reads_a_value_wins_with_or_without_an_offset(tmp_path):
    extra = '[files.devices]\npath = "devices.csv"\n'
    devices = "Dev,Ref,Seized\nD1,A,2026-07-01 10:00:00+0100\nD2,A,2026-07-01 10:00:00\n"
    report, _ = _devices(tmp_path, extra, devices, formats='["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%z"]')
    assert report.ok
    seized = (tmp_path / "out" / "devices.csv").read_text().splitlines()
    # Local 10:00 in July is 09:00Z whether the offset is written or implied by the zone.
    assert [line.split(",")[5] for line in seized[1:]] == ["2026-07-01T09:00:00Z", "2026-07-01T09:00:00Z"]


def test_date_formats_are_tried_in_the_declared_order(tmp_path):
    report, rows = adapt_rows(
        tmp_path,
        'offence_date = { source = "Date", formats = ["%m/%d/%Y", "%d/%m/%Y"] }',
        "Ref,Date\nA,01/02/2026\nB,31/01/2026\n",
    )
    assert report.ok and [r["offence_date"] for r in rows] == ["2026-01-02", "2026-01-31"]


def test_value_problems_in_every_table_are_reported_in_one_run(tmp_path):
    extra = (
        '[files.devices]\npath = "devices.csv"\n[tables.devices.columns]\ndevice_id = { source = "Dev" }\n'
        'case_id = { source = "Ref" }\nowner = { source = "Owner" }\n'
    )
    report, _ = adapt_rows(
        tmp_path, 'relationship = { source = "Rel" }', "Ref,Rel\nA,Lodger\n", extra=extra,
        files={"devices.csv": "Dev,Ref,Owner\nD1,A,Witness\n"},
    )  # fmt: skip
    assert [p.split(": value ")[1].split(" is")[0] for p in report.problems] == ["'Lodger'", "'Witness'"]
    assert [(c.table, c.column, c.unmapped) for c in report.columns if c.unmapped] == [
        ("cases", "relationship", 1), ("devices", "owner", 1),
    ]  # fmt: skip


def test_the_sql_normaliser_agrees_with_the_python_one_on_awkward_text():
    import duckdb

    from pipelines.adapt.parsers import normalise, normalised_sql

    awkward = [
        "plain", "two  spaces", " lead", "trail ", "tab\there", "line\nbreak", "cr\rhere", "feed\fhere",
        "nb\u00a0sp", "en \u2013 dash", "em\u2014dash", "   ", "\u00a0", "", "a - b", "x\u00a0\u00a0y",
    ]  # fmt: skip
    con = duckdb.connect()
    found = con.execute(f"select {normalised_sql('t.v')} from unnest($values) as t(v)", {"values": awkward}).fetchall()
    assert [v for (v,) in found] == [normalise(text) or None for text in awkward]

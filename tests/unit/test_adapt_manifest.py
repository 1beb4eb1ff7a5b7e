"""Manifest facts: lists of formats tried in order, patterns that must match in full, and
`--check` showing what each fact was read as."""

import pytest

from pipelines.cli import main
from tests.adapt_helpers import adapt_rows

SECONDS_WHEN_NOT_ZERO = (
    "force_code = { sidecar = \"run.txt\", pattern = 'Force: ([A-Z0-9]+)' }\n"
    "extracted_at = { sidecar = \"run.txt\", pattern = 'Run at: (\\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d(?::\\d\\d)?)', "
    'format = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"] }\n'
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # BST in August: local 10:15 is 09:15Z.
        ("Run at: 20/08/2026 10:15:30", "2026-08-20T09:15:30+00:00"),
        ("Run at: 20/08/2026 10:15", "2026-08-20T09:15:00+00:00"),
        # GMT in December.
        ("Run at: 01/12/2026 08:00:05", "2026-12-01T08:00:05+00:00"),
    ],
)
def test_a_time_written_with_seconds_only_when_they_are_not_zero(tmp_path, line, expected):
    report, _ = adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=SECONDS_WHEN_NOT_ZERO,
        files={"run.txt": f"Export\nForce: WEST\n{line}\n"},
    )  # fmt: skip
    assert report.ok, report.problems
    assert (report.force_code, report.extracted_at) == ("WEST", expected)


def test_a_pattern_that_stops_short_of_the_seconds_is_an_error_not_a_misreading(tmp_path):
    # Searched anywhere, this pattern would read 10:15:30 as 10:15.
    head = (
        'force_code = { value = "WEST" }\n'
        "extracted_at = { sidecar = \"run.txt\", pattern = 'Run at: (\\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d)', "
        'format = "%d/%m/%Y %H:%M" }\n'
    )
    report, _ = adapt_rows(tmp_path, "", "Ref\nA\n", manifest=head, files={"run.txt": "Run at: 20/08/2026 10:15:30\n"})
    assert report.problems == [
        "manifest.extracted_at.pattern: 'Run at: (\\\\d\\\\d/\\\\d\\\\d/\\\\d{4} \\\\d\\\\d:\\\\d\\\\d)' does not "
        "match any whole line of run.txt"
    ]
    assert report.extracted_at is None


def test_a_file_name_pattern_must_match_the_whole_name(tmp_path):
    head = (
        "force_code = { file_name = \"crimes\", pattern = '([A-Z]+)_' }\n"
        'extracted_at = { value = "2026-10-31T23:00:00Z" }\n'
    )
    report, _ = adapt_rows(tmp_path, "", "Ref\nA\n", manifest=head, crimes_name="WEST_crimes.csv")
    assert report.problems == ["manifest.force_code.pattern: '([A-Z]+)_' does not match the whole file name "
                               "'WEST_crimes.csv'"]  # fmt: skip
    report, _ = adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=head.replace("([A-Z]+)_", "([A-Z]+)_crimes\\.csv"),
        crimes_name="WEST_crimes.csv",
    )  # fmt: skip
    assert report.ok and report.force_code == "WEST"


def test_lines_that_match_with_different_values_are_an_error(tmp_path):
    report, _ = adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=SECONDS_WHEN_NOT_ZERO,
        files={"run.txt": "Force: WEST\nRun at: 20/08/2026 10:15\nForce: EAST\n"},
    )  # fmt: skip
    assert report.problems == [
        "manifest.force_code.pattern: 'Force: ([A-Z0-9]+)' matches lines of run.txt with different values "
        "(line 1: 'WEST', line 3: 'EAST'); make the pattern match one line"
    ]


def test_no_format_that_reads_the_text_and_a_clock_change_hour_are_errors(tmp_path):
    loose = SECONDS_WHEN_NOT_ZERO.replace("(\\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d(?::\\d\\d)?)", "(.+)")
    assert "(.+)" in loose
    report, _ = adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=loose, files={"run.txt": "Force: WEST\nRun at: 20 Aug 2026 10:15\n"}
    )
    assert report.problems == [
        "manifest.extracted_at: '20 Aug 2026 10:15' is not read by any declared format ('%d/%m/%Y %H:%M:%S', "
        "'%d/%m/%Y %H:%M')"
    ]
    report, _ = adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=SECONDS_WHEN_NOT_ZERO,
        files={"run.txt": "Force: WEST\nRun at: 25/10/2026 01:30\n"},
    )  # fmt: skip
    assert report.problems == [
        "manifest.extracted_at: '25/10/2026 01:30' with format '%d/%m/%Y %H:%M': local time is ambiguous in "
        'Europe/London; time.ambiguous is "error"'
    ]


def test_check_shows_what_each_manifest_fact_was_read_as(tmp_path, capsys):
    adapt_rows(
        tmp_path, "", "Ref\nA\n", manifest=SECONDS_WHEN_NOT_ZERO,
        files={"run.txt": "Export\nForce: WEST\nRun at: 20/08/2026 10:15:30\n"},
    )  # fmt: skip
    source = tmp_path / "raw"
    assert main(["adapt", "--check", "--mapping", str(source / "mapping.toml")]) == 0
    printed = capsys.readouterr().out
    assert "| force_code | run.txt line 2 | WEST |  | WEST |" in printed
    assert (
        "| extracted_at | run.txt line 3 | 20/08/2026 10:15:30 | %d/%m/%Y %H:%M:%S | 2026-08-20T09:15:30+00:00 |"
        in (printed)
    )


def test_a_single_format_may_be_written_without_a_list(tmp_path):
    report, rows = adapt_rows(
        tmp_path, 'offence_date = { source = "D", formats = "%d/%m/%Y" }', "Ref,D\nA,02/03/2026\n"
    )
    assert report.ok and rows[0]["offence_date"] == "2026-03-02"


def test_what_a_sidecar_gives_is_shown_safely_and_briefly(tmp_path):
    head = (
        'force_code = { value = "WEST" }\n'
        "extracted_at = { sidecar = \"run.txt\", pattern = 'Run at: (.*)' }\n"
    )
    line = "Run at: \x1b[31mred|" + "9" * 500  # 9 characters, then digits
    report, _ = adapt_rows(tmp_path, "", "Ref\nA\n", manifest=head, files={"run.txt": line + "\n"})
    assert report.problems == [
        "manifest.extracted_at: '\\x1b[31mred|" + "9" * 71 + "...' is not ISO 8601 with an offset; declare its format"
    ]
    markdown = report.to_markdown()
    assert "\x1b" not in markdown
    assert "| extracted_at | run.txt line 1 | \\x1b[31mred\\|" + "9" * 191 + "... |  |  |" in markdown

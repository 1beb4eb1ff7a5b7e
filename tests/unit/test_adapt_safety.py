"""A mapping file reads nothing outside its export folder, its regular expressions cannot
hang a run, what a sidecar gives is checked, and `adapt` never writes over its source."""

import json
import subprocess
import sys
import textwrap

import pytest

from pipelines.adapt.adapter import adapt
from tests.adapt_helpers import adapt_rows

SECRET = "root:x:0:0:root:/root:/bin/bash\n"


@pytest.fixture
def secret(tmp_path):
    """A file outside every export folder that must never be read."""
    path = tmp_path / "elsewhere" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def _adapt_with(tmp_path, old: str, new: str):
    """Adapt a good small export whose mapping has `old` replaced by `new`."""
    adapt_rows(tmp_path, "", "Ref\nA\n")
    mapping = tmp_path / "raw" / "mapping.toml"
    text = mapping.read_text()
    assert old in text
    mapping.write_text(text.replace(old, new))
    return adapt(mapping, tmp_path / "raw", tmp_path / "out-again")


def _never_read(report) -> None:
    assert "root:" not in report.to_json() and "root:" not in report.to_markdown()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../elsewhere/passwd", "leaves the export folder ('..'); give a file name inside it"),
        ("sub/../../elsewhere/passwd", "leaves the export folder ('..'); give a file name inside it"),
        ("{secret}", "is an absolute path; give a file name inside the export folder"),
    ],
)
def test_a_file_path_outside_the_folder_is_a_mapping_error(tmp_path, secret, path, reason):
    path = path.format(secret=secret)
    report = _adapt_with(tmp_path, 'path = "crimes.csv"', f"path = '{path}'")
    assert report.mapping_error
    assert [p.split(": ", 1)[1] for p in report.problems] == [f"files.crimes.path: {path!r} {reason}"]
    _never_read(report)


@pytest.mark.parametrize("sidecar", ["../elsewhere/passwd", "{secret}"])
def test_a_sidecar_outside_the_folder_is_a_mapping_error(tmp_path, secret, sidecar):
    sidecar = sidecar.format(secret=secret)
    head = f"force_code = {{ sidecar = '{sidecar}', pattern = '([a-z]+):.*' }}"
    report = _adapt_with(tmp_path, 'force_code = { value = "TESTF" }', head)
    assert report.mapping_error and len(report.problems) == 1
    assert report.problems[0].split(": ", 1)[1].startswith(f"manifest.force_code.sidecar: {sidecar!r} ")
    _never_read(report)


def test_raw_files_and_sidecars_that_link_outside_the_folder_are_refused(tmp_path, secret):
    adapt_rows(tmp_path, "", "Ref\nA\n")
    source = tmp_path / "raw"
    (source / "crimes.csv").unlink()
    (source / "crimes.csv").symlink_to(secret)
    report = adapt(source / "mapping.toml", source, tmp_path / "out-link")
    assert report.problems == [
        f"files.crimes.path: crimes.csv is a symbolic link to a place outside the export folder {source}; "
        "refused (nothing outside the folder is read)"
    ]
    _never_read(report)
    assert not (tmp_path / "out-link" / "cases.csv").exists()

    (source / "crimes.csv").unlink()
    (source / "crimes.csv").write_text("Ref\nA\n")
    (source / "run.txt").symlink_to(secret)
    head = "force_code = { sidecar = 'run.txt', pattern = '([a-z]+):.*' }\n"
    text = (source / "mapping.toml").read_text().replace('force_code = { value = "TESTF" }\n', head)
    (source / "mapping.toml").write_text(text)
    report = adapt(source / "mapping.toml", source, tmp_path / "out")
    assert report.problems == [
        f"manifest.force_code.sidecar: 'run.txt' resolves to a place outside the export folder {source}; "
        "refused (nothing outside the folder is read)"
    ]
    _never_read(report)


def test_a_link_to_another_file_inside_the_folder_is_read(tmp_path):
    report, rows = adapt_rows(tmp_path, "", "Ref\nA\n", crimes_name="real.csv")
    link = tmp_path / "raw" / "crimes.csv"
    link.symlink_to(tmp_path / "raw" / "real.csv")
    mapping = tmp_path / "raw" / "mapping.toml"
    mapping.write_text(mapping.read_text().replace('path = "real.csv"', 'path = "crimes.csv"'))
    report = adapt(mapping, tmp_path / "raw", tmp_path / "out2")
    assert report.ok and (tmp_path / "out2" / "cases.csv").read_text().splitlines()[1].startswith("A,")


def test_what_a_sidecar_gives_is_checked(tmp_path):
    head = (
        "force_code = { sidecar = 'run.txt', pattern = 'Force: (.*)' }\n"
        'extracted_at = { value = "2026-10-31T23:00:00Z" }\n'
    )
    report, _ = adapt_rows(tmp_path, "", "Ref\nA\n", manifest=head, files={"run.txt": "Force: root:x:0:0\n"})
    assert report.problems == [
        "manifest.force_code: 'root:x:0:0' (from run.txt line 1) is not 2-8 upper-case letters or digits"
    ]
    assert not (tmp_path / "out" / "manifest.json").exists()
    report, _ = adapt_rows(tmp_path, "", "Ref\nA\n", manifest=head, files={"run.txt": "Force: EASTC\n"})
    assert report.ok and report.force_code == "EASTC"


def test_a_catastrophic_pattern_finishes_with_a_clear_error(tmp_path):
    """`(a+)+$` backtracks exponentially in Python's engine; RE2 (DuckDB) is linear. The timeout
    only stops a hung child process: it is not a measurement."""
    source = tmp_path / "raw"
    source.mkdir()
    (source / "crimes.csv").write_text("Ref,Eth\nA," + "a" * 50_000 + "!\n")
    (source / "run.txt").write_text("a" * 50_000 + "!\n")
    (source / "mapping.toml").write_text(
        textwrap.dedent(
            """
            source_system = "test"
            [manifest]
            force_code = { sidecar = "run.txt", pattern = '(a+)+$' }
            extracted_at = { value = "2026-10-31T23:00:00Z" }
            [files.crimes]
            path = "crimes.csv"
            [tables.devices]
            empty = true
            [tables.contacts]
            empty = true
            [tables.cases]
            from = "crimes"
            [tables.cases.columns]
            case_id = { source = "Ref" }
            offence_code = { value = "19C" }
            reported_date = { value = "2026-01-01", formats = ["%Y-%m-%d"] }
            victim_ethnicity = { source = "Eth", pattern = '(a+)+$', unmapped = "unknown" }
            """
        )
    )
    code = (
        "import json, sys; from pipelines.adapt.adapter import adapt; "
        f"print(json.dumps(adapt({str(source / 'mapping.toml')!r}, {str(source)!r}).problems))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["manifest.force_code.pattern: '(a+)+$' does not match any whole line of run.txt"]


def test_a_pattern_the_safe_engine_cannot_run_is_a_mapping_error(tmp_path):
    report, _ = adapt_rows(tmp_path, "victim_ethnicity = { source = \"Eth\", pattern = '(?<=IC)(\\d)' }",
                           "Ref,Eth\nA,IC1\n")  # fmt: skip
    assert report.mapping_error
    assert report.problems[0].split(": ", 1)[1] == (
        "tables.cases.columns.victim_ethnicity.pattern: '(?<=IC)(\\\\d)' is not a valid regular expression: "
        "invalid perl operator: (?<"
    )


@pytest.mark.parametrize("where", ["same", "inside", "holds"])
def test_adapt_refuses_an_output_folder_that_overlaps_the_source(tmp_path, where):
    adapt_rows(tmp_path, "", "Ref\nA\n")
    source = tmp_path / "raw"
    out = {"same": source, "inside": source / "adapted", "holds": tmp_path}[where]
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    report = adapt(source / "mapping.toml", source, out)
    relation = {"same": "is the source folder", "inside": "is inside the source folder",
                "holds": "contains the source folder"}[where]  # fmt: skip
    assert report.problems == [f"the output folder {out} {relation} {source}; choose a folder outside it "
                               "(nothing was written)"]  # fmt: skip
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert not (source / "adapted").exists()

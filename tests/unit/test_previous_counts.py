"""The `cases_not_shrunk` warning reads the latest version's manifest; whatever it finds there, a
warning's comparison must never stop a run (found by probing: `[]` in latest.json made the run
exit 2 after it had published)."""

import json

import pytest

from pipelines.publish import previous_case_counts


def write(out, pointer: str, manifest: str | None = None) -> None:
    (out / "versions" / "v1").mkdir(parents=True)
    (out / "latest.json").write_text(pointer)
    if manifest is not None:
        (out / "versions" / "v1" / "manifest.json").write_text(manifest)


def test_the_counts_of_the_latest_version(tmp_path):
    extracts = [{"force_code": "AA", "files": {"cases": {"rows_accepted": 7}}}, {"force_code": "BB", "files": {}}]
    write(tmp_path, json.dumps({"version": "v1", "path": "versions/v1"}), json.dumps({"extracts": extracts}))
    assert previous_case_counts(tmp_path) == {"AA": 7}


@pytest.mark.parametrize(
    "pointer, manifest",
    [
        ("[]", None),
        ('{"path": 5}', None),
        ('{"path": "../../.."}', None),
        ('{"path": "versions/v1"}', "[1]"),
        ('{"path": "versions/v1"}', '{"extracts": [1]}'),
        ('{"path": "versions/v1"}', '{"extracts": [{"force_code": "AA", "files": []}]}'),
        ('{"path": "versions/v1"}', '{"extracts": [{"force_code": "AA", "files": {"cases": {"rows_accepted": "x"}}}]}'),
    ],
)
def test_anything_else_is_no_earlier_version(tmp_path, pointer, manifest):
    write(tmp_path, pointer, manifest)
    assert previous_case_counts(tmp_path) == {}

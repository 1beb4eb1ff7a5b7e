"""A stored result damaged on disk (found by probing: a truncated result.json was never
rewritten, and the run failed with an AttributeError every night after) is staged again."""

from pipelines.duck import DuckDBLimits
from pipelines.extract_store import RESULT_FILE, extract_key, load_result
from pipelines.extracts import inspect_extract
from pipelines.forces import judge, stage_new_extracts
from tests.conftest import write_extract

CASES = [{"case_id": f"C{i}", "offence_code": "19C", "reported_date": "2026-05-10"} for i in range(3)]


def test_a_truncated_result_is_staged_again_and_stored_whole(tmp_path):
    folder = write_extract(tmp_path / "inbox", "AA", "2026-10-31T23:00:00+00:00", CASES, [], [])
    extract = inspect_extract(folder, tmp_path / "inbox")
    cache = tmp_path / "cache"
    stage_new_extracts([extract], cache, DuckDBLimits())
    stored = cache / "extracts" / extract_key(extract) / RESULT_FILE
    stored.write_text(stored.read_text()[:10])
    assert load_result(cache, extract_key(extract)) is None
    results, new = stage_new_extracts([extract], cache, DuckDBLimits())
    assert new == 1
    repaired = load_result(cache, extract_key(extract))
    assert repaired is not None and repaired.tables["cases"]["rows_read"] == 3
    assert [v.status for v in judge([extract], results, 0.05)] == ["used"]


def test_a_result_of_the_wrong_shape_is_no_result(tmp_path):
    folder = write_extract(tmp_path / "inbox", "AA", "2026-10-31T23:00:00+00:00", CASES, [], [])
    extract = inspect_extract(folder, tmp_path / "inbox")
    cache = tmp_path / "cache"
    stage_new_extracts([extract], cache, DuckDBLimits())
    (cache / "extracts" / extract_key(extract) / RESULT_FILE).write_text("[1, 2]")
    assert load_result(cache, extract_key(extract)) is None


def test_an_extract_without_a_result_is_rejected_not_used(tmp_path):
    folder = write_extract(tmp_path / "inbox", "AA", "2026-10-31T23:00:00+00:00", CASES, [], [])
    extract = inspect_extract(folder, tmp_path / "inbox")
    (verdict,) = judge([extract], {extract.extract_id: None}, 0.05)
    assert verdict.status == "rejected"
    assert "was not staged" in " ".join(verdict.reasons)

"""The reject threshold and the choice of extract, on the verdict logic alone."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.extract_store import ExtractResult
from pipelines.extracts import Extract
from pipelines.forces import judge


def extract(extract_id: str, at: datetime, problems=()) -> Extract:
    return Extract(extract_id=extract_id, path=Path(extract_id), force_code="FFF", extracted_at=at,
                   problems=list(problems))  # fmt: skip


def result(read: int, quarantined: int, rule: str = "cases.x.required") -> ExtractResult:
    broken = [[rule, quarantined, 2]] if quarantined else []
    tables = {"cases": {"rows_read": read, "rows_quarantined": quarantined, "rows_accepted": read - quarantined,
                        "broken_rules": broken}}  # fmt: skip
    return ExtractResult("k", Path("k"), [], tables)


OLD, NEW = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)


def statuses(threshold: float, quarantined: int, read: int) -> dict:
    extracts = [extract("F/old", OLD), extract("F/new", NEW)]
    results = {"F/old": result(1, 0), "F/new": result(read, quarantined)}
    return {v.extract.extract_id: v.status for v in judge(extracts, results, threshold)}


@pytest.mark.parametrize(
    "threshold, quarantined, read, newest",
    [
        (0.05, 1, 20, "used"),  # exactly 5%: not more than 5%
        (0.05, 2, 20, "rejected"),
        (0.29, 29, 100, "used"),  # 0.29 * 100 is 28.999999999999996 in floating point
        (0.29, 30, 100, "rejected"),
        (0.0, 0, 0, "used"),  # an empty table quarantines nothing
    ],
)
def test_threshold_is_a_share_not_more_than(threshold, quarantined, read, newest):
    result = statuses(threshold, quarantined, read)
    assert result["F/new"] == newest
    assert result["F/old"] == ("superseded" if newest == "used" else "used")


def test_threshold_reason_names_the_file_share_and_commonest_rule():
    extracts = [extract("F/new", NEW)]
    (verdict,) = judge(extracts, {"F/new": result(20, 2, "cases.reported_date.parse")}, 0.05)
    assert verdict.reasons == [
        "F/new/cases.csv: 2 of 20 rows quarantined (10.0%), more than the 5.0% allowed; most often "
        "cases.reported_date.parse (2 rows, first at line 2)"
    ]


def test_newest_by_instant_then_greater_id_and_rejections_never_used():
    same = datetime(2026, 6, 2, tzinfo=UTC)
    extracts = [extract("F/a", same), extract("F/b", same), extract("F/c", datetime(2026, 6, 3, tzinfo=UTC), ["bad"])]
    results = {"F/a": result(1, 0), "F/b": result(1, 0)}
    verdicts = {v.extract.extract_id: (v.status, v.reasons) for v in judge(extracts, results, 0.05)}
    assert verdicts == {"F/a": ("superseded", []), "F/b": ("used", []), "F/c": ("rejected", ["bad"])}


def test_an_inventory_written_again_is_read_again_and_what_a_reader_changes_stays_its_own(tmp_path):
    # Inventories are parsed once per process while the file stays the same (a nightly reads its
    # inventory several times); a new inventory in the same place must be read, not the old one.
    from pipelines.forces import read_inventory, write_inventory

    started = datetime(2026, 6, 3, tzinfo=UTC)
    write_inventory(tmp_path, "run-1", [extract("F/old", OLD)], started)
    found = read_inventory(tmp_path)
    assert found[0] == "run-1" and [e.extract_id for e in found[1]] == ["F/old"]
    found[1][0].reject(None, "changed by one reader")
    assert read_inventory(tmp_path)[1][0].problems == []  # the next reader gets its own extracts
    write_inventory(tmp_path, "run-2", [extract("F/old", OLD), extract("F/new", NEW)], started)
    assert [e.extract_id for e in read_inventory(tmp_path)[1]] == ["F/old", "F/new"]
    assert read_inventory(tmp_path, "run-1")[0] == "run-1"  # each run's own inventory, as before
    assert read_inventory(tmp_path, "run-2")[1][1].extracted_at == NEW

"""Statistical process control settings: the rule lengths and the optional fixed baselines.

The XmR rules themselves are SQL (`sql/kpi_spc.sql`). A baseline file lets an analyst fix
the months a force's centre line and limits are computed from, for example the months
before its Soteria go-live, so that later months are judged against the old process. It is
a small CSV an analyst edits by hand:

    force_code,baseline_from,baseline_to
    NORTHA,,2024-06
    *,2024-01,

`baseline_from` and `baseline_to` are `YYYY-MM` (inclusive) and either may be blank (open).
`*` applies to every force (and ALL) without a row of its own. Forces not listed use every
published month.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from pipelines.extracts import FORCE_CODE, scan_file

SHIFT_POINTS = 7  # a run of this many points on one side of the centre line
TREND_POINTS = 7  # this many points each higher (or lower) than the one before
MIN_BASELINE_POINTS = 12  # fewer baseline points than this: no limits and no signals

SPC_PARAMS = {
    "shift_points": SHIFT_POINTS,
    "trend_points": TREND_POINTS,
    "min_baseline_points": MIN_BASELINE_POINTS,
}
BASELINE_COLUMNS = ("force_code", "baseline_from", "baseline_to")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class BaselineFileError(ValueError):
    """A baseline file that cannot be used; the message names the file, line and column."""


def _month(path: Path, line: int, column: str, text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if not MONTH.fullmatch(text):
        raise BaselineFileError(f"{path}: line {line}, column {column}: {text!r} is not a month YYYY-MM")
    return date(int(text[:4]), int(text[5:7]), 1)


def read_baselines(path: Path | None) -> list[tuple[str, date | None, date | None]]:
    """Rows (force_code, first month, last month) of a baseline file; none when no file is set."""
    if path is None:
        return []
    if not path.is_file():
        raise BaselineFileError(f"{path}: SPC baseline file not found")
    _digest, not_utf8 = scan_file(path)
    if not_utf8:
        raise BaselineFileError(f"{path}: {not_utf8}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != BASELINE_COLUMNS:
            raise BaselineFileError(f"{path}: line 1: the header must be {','.join(BASELINE_COLUMNS)}")
        rows, seen = [], set()
        for line, row in enumerate(reader, start=2):
            force = (row["force_code"] or "").strip()
            if force != "*" and not FORCE_CODE.fullmatch(force):
                raise BaselineFileError(f"{path}: line {line}, column force_code: {force!r} is not a force code or *")
            if force in seen:
                raise BaselineFileError(f"{path}: line {line}, column force_code: {force} is listed twice")
            seen.add(force)
            first = _month(path, line, "baseline_from", row["baseline_from"] or "")
            last = _month(path, line, "baseline_to", row["baseline_to"] or "")
            if first and last and first > last:
                raise BaselineFileError(f"{path}: line {line}: baseline_from is after baseline_to")
            rows.append((force, first, last))
    return rows


def write_baselines(con, baselines: list[tuple[str, date | None, date | None]]) -> None:
    """The kpi_spc query's baseline table (empty: every force uses all its months)."""
    con.execute(
        "create or replace temp table spc_baselines (force_code varchar, baseline_first date, baseline_last date)"
    )
    if baselines:
        con.executemany("insert into spc_baselines values (?, ?, ?)", baselines)

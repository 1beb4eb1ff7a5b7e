"""Independent reference implementation of the catalogue v1.1 views, for tests.

``kpi_spc`` (statistical process control, NHS "Making Data Count" XmR) and ``kpi_funnel``
(comparing forces), written only from the Views section of ``kpi-catalogue.md`` v1.1 and
without reading the production code. Both take ``kpi_monthly``-like rows: dicts with
``force_code, period, kpi_id, breakdown, numerator, denominator, value, ci_low, ci_high,
provisional`` (from ``tests.reference_kpis.reference_kpi_rows`` or read from a published
``kpi_monthly.parquet``), and return rows with the spec's columns.

Arithmetic is exact wherever it can be: values, centres, moving ranges and limits are
fractions (``Fraction``), so a point equal to the centre or to a limit is judged exactly;
only the funnel's square root is a float.

Public API::

    reference_spc_rows(monthly_rows, better, baselines=None) -> list[dict]
    reference_funnel_rows(monthly_rows, better) -> list[dict]
    spc_series(values, in_baseline) -> list[SpcPoint] | None   # one series, no months
    add_months(month, k)

``better`` maps kpi_id to ``"higher"`` (or ``"up"``), ``"lower"`` (or ``"down"``) or None
(no better direction; so does a KPI missing from the mapping). The catalogue states a
direction for only eight KPIs (``tests.reference_kpis.SPEC_BETTER``); the rest are the
registry's choice, so the caller supplies them.

Readings chosen where the spec leaves room are marked ``AMBIGUITY:`` below.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

ALL = "ALL"
RULES = ("outside_limits", "shift", "trend", "two_of_three")  # the catalogue's listing order
SIDE_PRIORITY = ("outside_limits", "trend", "two_of_three", "shift")  # which rule gives the side
MIN_BASELINE_POINTS = 12
RUN = 7  # shift and trend: runs of 7 or more points
LIMIT_FACTOR = Fraction(266, 100)  # 2.66 x mean moving range
TWO_SIGMA_FACTOR = Fraction(2, 3) * LIMIT_FACTOR
Z95 = 1.959963984540054
Z998 = 3.090232306167813


def add_months(month: date, k: int) -> date:
    """The first day of the month k months after (k < 0: before) `month`."""
    index = month.year * 12 + month.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)


def exact_value(row: Mapping) -> Fraction:
    """The row's value as an exact fraction.

    AMBIGUITY: a proportion's value (a row with a Wilson interval) is taken as exactly
    numerator / denominator, not as the rounded double in `value`, so that for example
    a series of 1/3, 2/3, ... has the centre the arithmetic says. Every other value is
    taken as the exact binary value of its double (counts and medians are exact anyway).
    """
    if row.get("ci_low") is not None and row.get("denominator"):
        return Fraction(row["numerator"]) / Fraction(row["denominator"])
    return Fraction(row["value"])


# ---------------------------------------------------------------------------
# kpi_spc
# ---------------------------------------------------------------------------


@dataclass
class SpcPoint:
    """One point of a series with limits: its rules (name -> side) and its side."""

    centre: Fraction
    upper_limit: Fraction
    lower_limit: Fraction
    rules: dict[str, str] = field(default_factory=dict)

    @property
    def side(self) -> str | None:
        """`high` or `low` from the first fired rule in SIDE_PRIORITY; None if none fired."""
        for rule in SIDE_PRIORITY:
            if rule in self.rules:
                return self.rules[rule]
        return None


def _runs(flags: list[int]) -> list[tuple[int, int, int]]:
    """Maximal runs of equal non-zero flags: (first index, last index, flag)."""
    runs, start = [], 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            if flags[start] != 0:
                runs.append((start, i - 1, flags[start]))
            start = i
    return runs


def _sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)


def spc_series(values: list[Fraction], in_baseline: list[bool]) -> list[SpcPoint] | None:
    """XmR limits and rules for one series (its non-provisional points in month order).

    in_baseline[i] says whether point i is in the baseline. None when the baseline has
    fewer than 12 points (too few points: no centre, limits or rules for the series).
    """
    baseline = [v for v, b in zip(values, in_baseline, strict=True) if b]
    if len(baseline) < MIN_BASELINE_POINTS:
        return None
    centre = sum(baseline, Fraction(0)) / len(baseline)
    # Moving ranges between consecutive points of the baseline; no screening.
    moving_ranges = [abs(b - a) for a, b in zip(baseline, baseline[1:], strict=False)]
    mean_mr = sum(moving_ranges, Fraction(0)) / len(moving_ranges)
    upper, lower = centre + LIMIT_FACTOR * mean_mr, centre - LIMIT_FACTOR * mean_mr
    upper_2s, lower_2s = centre + TWO_SIGMA_FACTOR * mean_mr, centre - TWO_SIGMA_FACTOR * mean_mr
    points = [SpcPoint(centre, upper, lower) for _ in values]
    n = len(values)

    # outside_limits: strictly above the upper or below the lower limit (a point on a
    # limit is inside).
    for i, v in enumerate(values):
        if v > upper:
            points[i].rules["outside_limits"] = "high"
        elif v < lower:
            points[i].rules["outside_limits"] = "low"

    # shift: runs of 7+ consecutive points strictly on one side; a point equal to the
    # centre is on neither side, so it breaks the run.
    for first, last, flag in _runs([_sign(v - centre) for v in values]):
        if last - first + 1 >= RUN:
            for i in range(first, last + 1):
                points[i].rules["shift"] = "high" if flag > 0 else "low"

    # trend: runs of 7+ points, each after the first strictly higher (or strictly lower)
    # than the one before. Step j is the direction from point j to point j + 1, so a run
    # of steps j..k covers points j..k + 1. A peak or trough ends one run and starts the
    # opposite one; it takes the side of the run that ends there: runs are applied in
    # order and a run starting at a point never overwrites the side the run ending there
    # gave it.
    trend_side: dict[int, str] = {}
    for first, last, flag in _runs([_sign(values[j + 1] - values[j]) for j in range(n - 1)]):
        if last - first + 2 >= RUN:
            side = "high" if flag > 0 else "low"
            for i in range(first, last + 2):
                # Point `first` may already be the end of the previous (opposite) run.
                trend_side.setdefault(i, side)
    for i, side in trend_side.items():
        points[i].rules["trend"] = side

    # two_of_three: in a window of 3 consecutive points all on one side of the centre, at
    # least 2 beyond two sigma on that side; only the points beyond two sigma fire.
    # AMBIGUITY: "beyond two sigma" is strictly beyond (a point exactly on the two-sigma
    # line is not beyond), as "strictly beyond a limit" for outside_limits.
    for w in range(n - 2):
        window = range(w, w + 3)
        for side, on_side, beyond in (
            ("high", lambda v: v > centre, lambda v: v > upper_2s),
            ("low", lambda v: v < centre, lambda v: v < lower_2s),
        ):
            if all(on_side(values[i]) for i in window) and sum(beyond(values[i]) for i in window) >= 2:
                for i in window:
                    if beyond(values[i]):
                        points[i].rules["two_of_three"] = side
    return points


def _direction(better: str | None) -> str | None:
    """`high`, `low` or None from a better direction (`higher`/`up`, `lower`/`down`, else none)."""
    return {"higher": "high", "up": "high", "lower": "low", "down": "low"}.get(better)


def _signal(side: str | None, better: str | None) -> str:
    if side is None:
        return "common_cause"
    if _direction(better) is None:
        return "neither"
    return "improvement" if side == _direction(better) else "concern"


def _baseline_window(baselines: Mapping | None, force: str) -> tuple[date | None, date | None]:
    """(first month, last month) of the force's baseline, either None for an open end.

    AMBIGUITY (the catalogue leaves the setting implementation-defined): a mapping of
    force_code to an inclusive (first, last) window of months; `*` applies to every force
    (and ALL) without an entry of its own; no entry means every point.
    """
    if not baselines:
        return None, None
    return baselines.get(force, baselines.get("*", (None, None)))


def reference_spc_rows(
    monthly_rows: Iterable[Mapping],
    better: Mapping[str, str | None],
    baselines: Mapping[str, tuple[date | None, date | None]] | None = None,
) -> list[dict]:
    """kpi_spc rows: one per (force_code, kpi_id, period) with a breakdown `all` row.

    Columns: force_code, kpi_id, period, value, provisional, centre, upper_limit,
    lower_limit, rules (tuple of fired rule names in the catalogue's order), signal; and
    `side` (high / low / None), which the catalogue does not publish. Numbers are floats.
    """
    series: dict[tuple[str, str], list[Mapping]] = {}
    for row in monthly_rows:
        if row["breakdown"] == "all":
            series.setdefault((row["force_code"], row["kpi_id"]), []).append(row)
    out = []
    for (force, kpi_id), rows in sorted(series.items()):
        rows = sorted(rows, key=lambda r: r["period"])
        periods = [r["period"] for r in rows]
        if len(set(periods)) != len(periods):
            raise ValueError(f"{force} {kpi_id}: two `all` rows for one month")
        settled = [r for r in rows if not r["provisional"]]  # months without a row are skipped
        first, last = _baseline_window(baselines, force)
        in_baseline = [(first or r["period"]) <= r["period"] <= (last or r["period"]) for r in settled]
        points = spc_series([exact_value(r) for r in settled], in_baseline)
        by_period = dict(zip((r["period"] for r in settled), points or [None] * len(settled), strict=True))
        for r in rows:
            row = {
                "force_code": force,
                "kpi_id": kpi_id,
                "period": r["period"],
                "value": r["value"],
                "provisional": bool(r["provisional"]),
                "centre": None,
                "upper_limit": None,
                "lower_limit": None,
                "rules": (),
                "signal": None,
                "side": None,
            }
            if r["provisional"]:
                row["signal"] = "provisional"
            elif points is None:
                row["signal"] = "too_few_points"
            else:
                point = by_period[r["period"]]
                row.update(
                    centre=float(point.centre),
                    upper_limit=float(point.upper_limit),
                    lower_limit=float(point.lower_limit),
                    rules=tuple(rule for rule in RULES if rule in point.rules),
                    side=point.side,
                    signal=_signal(point.side, better.get(kpi_id)),
                )
            out.append(row)
    return out


# ---------------------------------------------------------------------------
# kpi_funnel
# ---------------------------------------------------------------------------


def _position(value: Fraction, lower_95: float, upper_95: float, lower_998: float, upper_998: float) -> str:
    # Strictly beyond a limit; comparisons of a Fraction with a float are exact.
    if value > upper_998:
        return "above_99.8"
    if value > upper_95:
        return "above_95"
    if value < lower_998:
        return "below_99.8"
    if value < lower_95:
        return "below_95"
    return "within"


def _funnel_signal(position: str, better: str | None) -> str:
    if position not in ("above_99.8", "below_99.8"):
        return "within_limits"
    if _direction(better) is None:
        return "neither"
    side = "high" if position == "above_99.8" else "low"
    return "improvement" if side == _direction(better) else "concern"


def reference_funnel_rows(monthly_rows: Iterable[Mapping], better: Mapping[str, str | None]) -> list[dict]:
    """kpi_funnel rows: one per proportion KPI and force (not ALL) with a denominator > 0
    in the KPI's window, sorted by (kpi_id, force_code).

    The proportion KPIs are those whose rows carry a Wilson interval (ci_low not null).
    The window is the 12 months ending with the latest month whose ALL `all` row is not
    provisional; a KPI without such a month has no rows.
    """
    monthly_rows = list(monthly_rows)
    proportions = sorted({r["kpi_id"] for r in monthly_rows if r.get("ci_low") is not None})
    settled = [r for r in monthly_rows if r["breakdown"] == "all" and not r["provisional"]]
    out = []
    for kpi_id in proportions:
        rows = [r for r in settled if r["kpi_id"] == kpi_id]
        national = [r for r in rows if r["force_code"] == ALL]
        if not national:
            continue
        window_to = max(r["period"] for r in national)
        window_from = add_months(window_to, -11)
        sums: dict[str, list[Fraction]] = {}
        for r in rows:
            if window_from <= r["period"] <= window_to:
                total = sums.setdefault(r["force_code"], [Fraction(0), Fraction(0)])
                total[0] += Fraction(r["numerator"])
                total[1] += Fraction(r["denominator"])
        p = sums[ALL][0] / sums[ALL][1]  # ALL's row at window_to has a denominator > 0
        for force, (numerator, denominator) in sorted(sums.items()):
            if force == ALL or denominator == 0:
                continue
            se = math.sqrt(float(p * (1 - p) / denominator))
            limits = {}
            for name, z in (("95", Z95), ("99_8", Z998)):
                limits[f"lower_{name}"] = max(0.0, float(p) - z * se)
                limits[f"upper_{name}"] = min(1.0, float(p) + z * se)
            value = numerator / denominator
            position = _position(
                value, limits["lower_95"], limits["upper_95"], limits["lower_99_8"], limits["upper_99_8"]
            )
            out.append(
                {
                    "kpi_id": kpi_id,
                    "force_code": force,
                    "window_from": window_from,
                    "window_to": window_to,
                    "numerator": float(numerator),
                    "denominator": float(denominator),
                    "value": float(value),
                    "national_value": float(p),
                    **limits,
                    "position": position,
                    "signal": _funnel_signal(position, better.get(kpi_id)),
                }
            )
    return out

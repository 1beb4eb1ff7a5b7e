"""Self-tests of the reference views (tests/reference_views.py) on series worked out by hand.

The reference is what the pipeline's kpi_spc and kpi_funnel are compared with, so it is
checked here against the catalogue v1.1 Views section on small examples whose every number
was worked out on paper (the working is in the comments).
"""

import math
from datetime import date

import pytest

from tests.reference_views import add_months, reference_funnel_rows, reference_spc_rows

START = date(2025, 1, 1)


def monthly(values, *, force="F", kpi_id="k", provisional=(), start=START, skip=()):
    """kpi_monthly `all` rows of a non-proportion KPI, one per value, from `start` on.

    provisional: indexes of provisional rows; skip: months (offsets) that have no row.
    """
    rows, offset = [], 0
    for i, value in enumerate(values):
        while offset in skip:
            offset += 1
        rows.append(
            dict(force_code=force, period=add_months(start, offset), kpi_id=kpi_id, breakdown="all",
                 numerator=float(value), denominator=None, value=float(value), ci_low=None, ci_high=None,
                 provisional=i in provisional)
        )  # fmt: skip
        offset += 1
    return rows


def by_period(rows):
    return sorted(rows, key=lambda r: r["period"])


# --- kpi_spc ------------------------------------------------------------------------------

PEAK = [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
# Worked by hand: centre = (2 x (1+...+6) + 7) / 13 = 49/13 = 3.769...; every moving range is
# 1, so limits = 49/13 +- 2.66 = [1.109, 6.429] and two sigma = 49/13 +- 1.7733 = [1.996, 5.543].
# outside_limits: 7 (high) and both 1s (low); 2 > 1.996 is not beyond two sigma.
# shift: 4,5,6,7,6,5,4 are the 7 points above the centre (months 3-9).
# trend: 1..7 rises over 7 points, 7..1 falls over 7: every point; 7 ends the rise (high).
# two_of_three: only 6, 7, 6 are beyond two sigma (high); no low window has 2 beyond.
PEAK_RULES = [
    ("outside_limits", "trend"), ("trend",), ("trend",), ("shift", "trend"), ("shift", "trend"),
    ("shift", "trend", "two_of_three"), ("outside_limits", "shift", "trend", "two_of_three"),
    ("shift", "trend", "two_of_three"), ("shift", "trend"), ("shift", "trend"), ("trend",), ("trend",),
    ("outside_limits", "trend"),
]  # fmt: skip
# Sides: the first 1 is beyond the lower limit (outside_limits first: low, although it starts
# the rise); 2..7 rise (high; the peak ends the rise); 6..1 fall (trend before two_of_three and
# shift: low, although 6, 5, 4 are above the centre).
PEAK_SIDES = ["low"] + ["high"] * 6 + ["low"] * 6


def test_the_peak_series_has_exactly_one_row_per_month_and_the_peak_is_high():
    rows = by_period(reference_spc_rows(monthly(PEAK), {"k": "higher"}))
    assert len(rows) == 13
    assert len({(r["force_code"], r["kpi_id"], r["period"]) for r in rows}) == 13
    assert [r["period"] for r in rows] == [add_months(START, i) for i in range(13)]
    assert [r["value"] for r in rows] == PEAK
    assert [r["rules"] for r in rows] == PEAK_RULES
    assert [r["side"] for r in rows] == PEAK_SIDES
    assert rows[6]["signal"] == "improvement"  # the peak (7) is high, and higher is better
    assert [r["signal"] for r in rows] == ["concern"] + ["improvement"] * 6 + ["concern"] * 6
    for r in rows:
        assert r["centre"] == pytest.approx(49 / 13, rel=1e-15)
        assert r["upper_limit"] == pytest.approx(49 / 13 + 2.66, rel=1e-15)
        assert r["lower_limit"] == pytest.approx(49 / 13 - 2.66, rel=1e-15)
        assert r["provisional"] is False


@pytest.mark.parametrize(
    ("better", "high", "low"),
    [("lower", "concern", "improvement"), ("down", "concern", "improvement"), (None, "neither", "neither")],
)
def test_the_side_against_the_better_direction_gives_the_signal(better, high, low):
    rows = by_period(reference_spc_rows(monthly(PEAK), {"k": better}))
    assert [r["signal"] for r in rows] == [low] + [high] * 6 + [low] * 6
    # A KPI missing from the mapping has no better direction.
    assert {r["signal"] for r in reference_spc_rows(monthly(PEAK), {})} == {"neither"}


def test_a_point_beyond_a_limit_is_labelled_by_its_own_side():
    # Worked by hand: sum = 33 + 30 + 39 = 102, centre = 102/13 = 7.846; moving ranges
    # 1,1,1,1,1,24,21,1,1,1,1,1 (sum 55), mean 55/12 = 4.583; upper = 7.846 + 12.192 = 20.04,
    # lower = -4.35; upper two sigma = 15.97. 30 is beyond the upper limit and starts a fall of
    # 7 points (30, 9, ..., 4): trend low, outside_limits high, so its side is high. No run of
    # 7 on one side of the centre (6 below, then 3 above, then 4 below): no shift.
    values = [5, 6, 5, 6, 5, 6, 30, 9, 8, 7, 6, 5, 4]
    rows = by_period(reference_spc_rows(monthly(values), {"k": "lower"}))
    assert rows[0]["upper_limit"] == pytest.approx(102 / 13 + 2.66 * 55 / 12, rel=1e-15)
    assert [r["rules"] for r in rows] == [()] * 6 + [("outside_limits", "trend")] + [("trend",)] * 6
    assert rows[6]["side"] == "high" and rows[6]["signal"] == "concern"
    assert [r["signal"] for r in rows] == ["common_cause"] * 6 + ["concern"] + ["improvement"] * 6


def test_a_point_on_the_centre_breaks_a_shift_and_an_equal_value_breaks_a_trend():
    # Centre = (6 x 3 + 2 + 2 + 6 x 1) / 14 = 28/14 = 2 exactly: the 2s split the 3s (and
    # the 1s) into runs of 3 on each side, so no shift fires.
    values = [3, 3, 3, 2, 3, 3, 3, 1, 1, 1, 2, 1, 1, 1]
    rows = reference_spc_rows(monthly(values), {"k": None})
    assert rows[0]["centre"] == 2.0
    assert all("shift" not in r["rules"] for r in rows)
    # Rises 1..6 (6 points), then 6 again, then 6..12: only the last 7 points are a trend.
    values = [1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12]
    rows = by_period(reference_spc_rows(monthly(values), {"k": None}))
    assert ["trend" in r["rules"] for r in rows] == [False] * 6 + [True] * 7


def test_a_constant_proportion_is_exactly_on_its_centre():
    # Twelve months of 1 in 10: centre 1/10 and moving ranges 0, so both limits are 1/10 and
    # every point equals the centre: no rule fires. (A floating-point mean of twelve 0.1s is
    # not 0.1, which would put every point a hair off the centre and fire a shift.)
    rows = [
        dict(force_code="F", period=add_months(START, i), kpi_id="k", breakdown="all", numerator=1.0,
             denominator=10.0, value=0.1, ci_low=0.01, ci_high=0.4, provisional=False)
        for i in range(12)
    ]  # fmt: skip
    assert sum([0.1] * 12) / 12 != 0.1  # why exact arithmetic matters here
    spc = reference_spc_rows(rows, {"k": "higher"})
    assert {(r["centre"], r["upper_limit"], r["lower_limit"], r["rules"], r["signal"]) for r in spc} == {
        (0.1, 0.1, 0.1, (), "common_cause")
    }


def test_too_few_points_gives_no_centre_limits_or_rules():
    eleven = reference_spc_rows(monthly(PEAK[:11]), {"k": "higher"})
    assert len(eleven) == 11
    assert {(r["signal"], r["centre"], r["upper_limit"], r["lower_limit"], r["rules"]) for r in eleven} == {
        ("too_few_points", None, None, None, ())
    }
    twelve = reference_spc_rows(monthly(PEAK[:12]), {"k": "higher"})
    assert all(r["centre"] is not None and r["signal"] != "too_few_points" for r in twelve)


def test_provisional_points_take_no_part_and_months_without_a_row_are_skipped():
    # 1..6, a provisional 100, 7..12, with a month without a row between 9 and 10. Without
    # the provisional point and the gap the series is 1..12: twelve points, every one rising,
    # so every point fires trend (with the 100 it would end a rise and start a fall of 6).
    values = [1, 2, 3, 4, 5, 6, 100, 7, 8, 9, 10, 11, 12]
    rows = by_period(reference_spc_rows(monthly(values, provisional={6}, skip={10}), {"k": "higher"}))
    assert len(rows) == 13
    provisional = rows[6]
    assert provisional["provisional"] is True and provisional["signal"] == "provisional"
    assert (provisional["centre"], provisional["upper_limit"], provisional["lower_limit"]) == (None, None, None)
    assert provisional["rules"] == ()
    settled = rows[:6] + rows[7:]
    assert all("trend" in r["rules"] for r in settled)
    # Centre 6.5 (the mean of 1..12; 100 is not in it), moving ranges 1 (the gap is skipped):
    # limits 6.5 +- 2.66 = [3.84, 9.16], so 1-3 are low and 10-12 high beyond the limits.
    assert settled[0]["centre"] == pytest.approx(6.5, rel=1e-15)
    assert settled[0]["lower_limit"] == pytest.approx(3.84, rel=1e-15)
    assert [r["side"] for r in settled] == ["low"] * 3 + ["high"] * 9
    # Twelve settled points is enough; eleven (one more provisional) is too few.
    fewer = reference_spc_rows(monthly(values, provisional={6, 12}), {"k": "higher"})
    assert {r["signal"] for r in fewer} == {"provisional", "too_few_points"}


def test_a_baseline_window_fixes_the_limits_and_the_rules_run_over_the_whole_series():
    # Months 0-11 alternate 12, 10 (centre 11, every moving range 2: limits 11 +- 5.32 =
    # [5.68, 16.32], two sigma 11 +- 3.547); months 12-19 are 20: beyond the upper limit,
    # beyond two sigma, and 8 points above the centre (month 11 is 10, below it).
    values = [12, 10] * 6 + [20] * 8
    window = {"F": (add_months(START, 0), add_months(START, 11))}
    rows = by_period(reference_spc_rows(monthly(values), {"k": "higher"}, baselines=window))
    assert {r["centre"] for r in rows} == {11.0}
    assert rows[0]["upper_limit"] == pytest.approx(11 + 5.32, rel=1e-15)
    assert [r["signal"] for r in rows] == ["common_cause"] * 12 + ["improvement"] * 8
    assert {r["rules"] for r in rows[12:]} == {("outside_limits", "shift", "two_of_three")}
    # Without the window every point is in the baseline: centre (72 + 60 + 160) / 20 = 14.6.
    assert reference_spc_rows(monthly(values), {"k": "higher"})[0]["centre"] == pytest.approx(14.6, rel=1e-15)
    # A window of 11 points is too few for the whole series; `*` applies to forces without a window.
    short = {"*": (add_months(START, 1), add_months(START, 11))}
    assert {r["signal"] for r in reference_spc_rows(monthly(values), {"k": "higher"}, baselines=short)} == {
        "too_few_points"
    }
    own = {"*": (add_months(START, 1), add_months(START, 11)), "F": (None, add_months(START, 11))}
    assert reference_spc_rows(monthly(values), {"k": "higher"}, baselines=own)[0]["centre"] == 11.0


def test_series_are_per_force_and_kpi_and_breakdown_rows_are_ignored():
    rows = monthly(PEAK) + monthly(PEAK[:5], force="G") + monthly(PEAK, kpi_id="other")
    rows += [dict(r, breakdown="victim_sex=female") for r in monthly(PEAK)]
    spc = reference_spc_rows(rows, {"k": "higher"})
    assert len(spc) == 13 + 5 + 13
    assert {r["signal"] for r in spc if r["force_code"] == "G"} == {"too_few_points"}
    # Every point of the peak series fires a rule; "other" has no better direction.
    assert {r["signal"] for r in spc if r["kpi_id"] == "other"} == {"neither"}


# --- kpi_funnel ---------------------------------------------------------------------------


def proportion(force, period, numerator, denominator, kpi_id="share", provisional=False):
    """A proportion's `all` row (its Wilson interval is only a marker here)."""
    return dict(force_code=force, period=period, kpi_id=kpi_id, breakdown="all", numerator=float(numerator),
                denominator=float(denominator), value=numerator / denominator, ci_low=0.0, ci_high=1.0,
                provisional=provisional)  # fmt: skip


JAN25, FEB25, JUN25, JAN26, FEB26 = (
    date(2025, 1, 1),
    date(2025, 2, 1),
    date(2025, 6, 1),
    date(2026, 1, 1),
    date(2026, 2, 1),
)
FUNNEL_ROWS = [
    # ALL: February 2026 is provisional, so the window is February 2025 - January 2026; its
    # rows there give p = (20 + 20) / (100 + 100) = 0.2. January 2025 is outside the window.
    proportion("ALL", JAN25, 90, 100), proportion("ALL", JUN25, 20, 100), proportion("ALL", JAN26, 20, 100),
    proportion("ALL", FEB26, 90, 100, provisional=True),
    # A: 10/50 on the window's first month and 10/50 in January 2026: 20/100 = 0.2, within.
    # Its January 2025 row is outside the window and its own provisional row is not used.
    proportion("A", JAN25, 50, 50), proportion("A", FEB25, 10, 50), proportion("A", JAN26, 10, 50),
    proportion("A", FEB26, 50, 50, provisional=True),
    # B: 30/100 = 0.3. With n = 100 the standard error is sqrt(0.2 x 0.8 / 100) = 0.04:
    # 95% limits 0.2 +- 0.0784 = [0.1216, 0.2784], 99.8% limits 0.2 +- 0.1236 = [0.0764, 0.3236].
    proportion("B", JUN25, 30, 100),
    # C: 5/100 = 0.05, below 0.0764: below_99.8.
    proportion("C", JAN26, 5, 100),
    # D: 1/1. The standard error is 0.4: 95% [0 (clipped from -0.584), 0.984], 99.8% [0, 1
    # (clipped from 1.436)]. 1.0 is above 0.984 but not strictly above 1: above_95.
    proportion("D", JAN26, 1, 1),
    # E: only a provisional row in the window (its own extract is older): no funnel row.
    proportion("E", JAN26, 3, 10, provisional=True),
]  # fmt: skip


def test_funnel_window_national_value_limits_and_positions():
    rows = {r["force_code"]: r for r in reference_funnel_rows(FUNNEL_ROWS, {"share": "lower"})}
    assert sorted(rows) == ["A", "B", "C", "D"]
    assert {(r["kpi_id"], r["window_from"], r["window_to"], r["national_value"]) for r in rows.values()} == {
        ("share", FEB25, JAN26, 0.2)
    }
    assert [(rows[f]["numerator"], rows[f]["denominator"], rows[f]["value"]) for f in "ABCD"] == [
        (20.0, 100.0, 0.2), (30.0, 100.0, 0.3), (5.0, 100.0, 0.05), (1.0, 1.0, 1.0),
    ]  # fmt: skip
    b = rows["B"]
    assert b["lower_95"] == pytest.approx(0.2 - 1.959963984540054 * 0.04, rel=1e-12)
    assert b["upper_95"] == pytest.approx(0.2 + 1.959963984540054 * 0.04, rel=1e-12)
    assert b["lower_99_8"] == pytest.approx(0.2 - 3.090232306167813 * 0.04, rel=1e-12)
    assert b["upper_99_8"] == pytest.approx(0.2 + 3.090232306167813 * 0.04, rel=1e-12)
    d = rows["D"]
    assert (d["lower_95"], d["lower_99_8"], d["upper_99_8"]) == (0.0, 0.0, 1.0)
    assert d["upper_95"] == pytest.approx(0.2 + 1.959963984540054 * 0.4, rel=1e-12)
    assert {f: (rows[f]["position"], rows[f]["signal"]) for f in "ABCD"} == {
        "A": ("within", "within_limits"),
        "B": ("above_95", "within_limits"),  # only beyond 99.8% is a signal
        "C": ("below_99.8", "improvement"),  # lower is better
        "D": ("above_95", "within_limits"),
    }
    higher = {r["force_code"]: r["signal"] for r in reference_funnel_rows(FUNNEL_ROWS, {"share": "higher"})}
    assert higher["C"] == "concern"
    assert {r["signal"] for r in reference_funnel_rows(FUNNEL_ROWS, {})} == {"within_limits", "neither"}


def test_funnel_positions_are_strictly_beyond_a_limit():
    # p = 0: every limit is 0. A force at 0 sits on both limits (within); a force above 0 is
    # strictly above the 99.8% limit.
    rows = [proportion("ALL", JAN26, 0, 50), proportion("A", JAN26, 0, 10), proportion("B", JAN26, 1, 40)]
    funnel = {r["force_code"]: r for r in reference_funnel_rows(rows, {"share": "higher"})}
    assert [funnel["A"][k] for k in ("lower_99_8", "lower_95", "upper_95", "upper_99_8")] == [0.0] * 4
    assert (funnel["A"]["position"], funnel["B"]["position"]) == ("within", "above_99.8")
    assert funnel["B"]["signal"] == "improvement"


def test_only_proportions_with_a_settled_national_month_get_a_funnel():
    rows = list(FUNNEL_ROWS)
    # A count KPI (no Wilson interval) has no funnel.
    rows += [dict(r, kpi_id="count", ci_low=None, ci_high=None) for r in FUNNEL_ROWS]
    # A proportion whose ALL rows are all provisional has no window and no rows.
    rows += [proportion("ALL", JAN26, 1, 2, kpi_id="young", provisional=True), proportion("A", JAN25, 1, 2, "young")]
    # Breakdown rows are not used.
    rows += [dict(r, breakdown="victim_sex=male", numerator=0.0) for r in FUNNEL_ROWS]
    funnel = reference_funnel_rows(rows, {"share": "lower"})
    assert {r["kpi_id"] for r in funnel} == {"share"}
    assert {r["force_code"]: r["numerator"] for r in funnel} == {"A": 20.0, "B": 30.0, "C": 5.0, "D": 1.0}
    assert math.isclose(funnel[0]["national_value"], 0.2)


def test_add_months_crosses_years():
    # The month arithmetic of the funnel window (12 months ending with window_to).
    assert add_months(date(2025, 12, 1), 1) == date(2026, 1, 1)
    assert add_months(date(2026, 1, 1), -11) == date(2025, 2, 1)
    assert add_months(date(2026, 3, 1), -27) == date(2023, 12, 1)

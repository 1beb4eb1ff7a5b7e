"""sql/kpi_spc.sql on hand-built series: XmR centre and limits, the four rules, their priority
(outside_limits, trend, two_of_three, shift), peaks and troughs, provisional months, the minimum
baseline, fixed baselines, the series grain and order-independence. Every expectation is derived
by hand from the construction (comments give the arithmetic)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import duckdb
import pytest

from pipelines.spc import SPC_PARAMS, write_baselines
from pipelines.warehouse import run_sql_file

CATALOGUE = [
    # kpi_id, better
    ("up_kpi", "up"),
    ("down_kpi", "down"),
    ("flat_kpi", None),
]


def month(i: int) -> date:
    """The i-th month (0-based) from January 2023."""
    return date(2023 + i // 12, i % 12 + 1, 1)


@dataclass(frozen=True)
class Provisional:
    """A month whose kpi_monthly row is provisional (still settling)."""

    value: float


def run_spc(tmp_path, series: dict, baselines=(), extra_rows=(), catalogue=CATALOGUE) -> dict:
    """Build kpi_monthly / kpi_catalogue / spc_baselines in a DuckDB file, run kpi_spc.sql and return
    {(force, kpi): [row dict, ...]} in period order. series: {(force, kpi): [values]} (month 0
    onwards; None is a month without a row, Provisional(v) a provisional row)."""
    con = duckdb.connect(str(tmp_path / "spc.duckdb"))
    con.execute(
        "create table kpi_monthly (force_code varchar, period date, kpi_id varchar, breakdown varchar, "
        "numerator double, denominator double, value double, ci_low double, ci_high double, provisional boolean)"
    )
    con.execute(
        "create table kpi_catalogue (kpi_id varchar, title varchar, kind varchar, unit varchar, "
        "better varchar, section varchar, definition varchar, position integer)"
    )
    con.executemany(
        "insert into kpi_catalogue values (?, ?, 'proportion', 'percent', ?, 'test', 'test', ?)",
        [(kpi, kpi, better, i) for i, (kpi, better) in enumerate(catalogue, start=1)],
    )
    rows = []
    for (force, kpi), values in series.items():
        for i, v in enumerate(values):
            if v is None:  # a month without a row (zero denominator)
                continue
            provisional = isinstance(v, Provisional)
            v = v.value if provisional else v
            rows.append((force, month(i), kpi, "all", v, 100.0, v, None, None, provisional))
    rows += list(extra_rows)
    random.Random(7).shuffle(rows)  # insertion order must not matter: series are ordered by period
    con.executemany("insert into kpi_monthly values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    write_baselines(con, list(baselines))
    run_sql_file(con, "kpi_spc.sql", SPC_PARAMS, create_table="kpi_spc")
    cursor = con.execute("select * from kpi_spc order by force_code, kpi_id, period")
    names = [d[0] for d in cursor.description]
    out: dict = {}
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        out.setdefault((record["force_code"], record["kpi_id"]), []).append(record)
    con.close()
    return out


def rules(rows) -> list:
    return [r["rules"] for r in rows]


def signals(rows) -> list:
    return [r["signal"] for r in rows]


def test_params_are_the_documented_lengths():
    assert SPC_PARAMS == {"shift_points": 7, "trend_points": 7, "min_baseline_points": 12}


def test_centre_and_limits_on_twelve_explicit_values(tmp_path):
    # 10, 12, 10, 12, ... (12 values): mean 11; 11 moving ranges of 2: mean MR 2.
    # Limits 11 +/- 2.66 * 2 = 16.32 and 5.68. Nothing fires (alternating sides and steps,
    # two-sigma lines 11 +/- 3.5467 are never crossed).
    values = [10.0, 12.0] * 6
    out = run_spc(tmp_path, {("NA", "up_kpi"): values})
    rows = out[("NA", "up_kpi")]
    assert len(rows) == 12
    for r in rows:
        assert r["centre"] == pytest.approx(11.0)
        assert r["upper_limit"] == pytest.approx(16.32)
        assert r["lower_limit"] == pytest.approx(5.68)
        assert r["is_baseline"] is True
        assert r["baseline_points"] == 12
        assert r["baseline_from"] == month(0) and r["baseline_to"] == month(11)
        assert r["rules"] is None
        assert r["signal"] == "common_cause"
    assert [r["value"] for r in rows] == values
    assert [r["period"] for r in rows] == [month(i) for i in range(12)]


def test_centre_and_limits_uneven_series(tmp_path):
    # 12 values: 4, 6, 5, 9, 7, 5, 6, 4, 8, 6, 7, 5 -> sum 72, mean 6.
    # Moving ranges: 2, 1, 4, 2, 2, 1, 2, 4, 2, 1, 2 -> sum 23, mean 23/11.
    # Limits 6 +/- 2.66 * 23 / 11 = 6 +/- 5.5618...
    values = [4.0, 6.0, 5.0, 9.0, 7.0, 5.0, 6.0, 4.0, 8.0, 6.0, 7.0, 5.0]
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    half_width = 2.66 * 23 / 11
    for r in rows:
        assert r["centre"] == pytest.approx(6.0)
        assert r["upper_limit"] == pytest.approx(6 + half_width)
        assert r["lower_limit"] == pytest.approx(6 - half_width)


# 20 points 10, 12, ... with point 9 (a 12) replaced by 30.
# Sum 220 - 12 + 30 = 238, mean 11.9. Moving ranges: 19, all 2 except the two either side of
# the spike, which are 20 -> sum 38 - 4 + 40 = 74, mean 74/19. UCL = 11.9 + 2.66 * 74/19 = 22.26,
# LCL = 1.54; two-sigma lines 11.9 +/- 6.907. Only the spike is beyond anything; sides and steps
# alternate elsewhere.
SPIKE = [10.0, 12.0] * 10
SPIKE[9] = 30.0


@pytest.mark.parametrize(
    ("kpi", "expected"), [("up_kpi", "improvement"), ("down_kpi", "concern"), ("flat_kpi", "neither")]
)
def test_single_point_above_upper_limit(tmp_path, kpi, expected):
    rows = run_spc(tmp_path, {("NA", kpi): SPIKE})[("NA", kpi)]
    assert rows[0]["centre"] == pytest.approx(11.9)
    assert rows[0]["upper_limit"] == pytest.approx(11.9 + 2.66 * 74 / 19)
    assert rows[0]["lower_limit"] == pytest.approx(11.9 - 2.66 * 74 / 19)
    assert rules(rows) == [None] * 9 + ["outside_limits"] + [None] * 10
    assert signals(rows) == ["common_cause"] * 9 + [expected] + ["common_cause"] * 10


@pytest.mark.parametrize(
    ("kpi", "expected"), [("up_kpi", "concern"), ("down_kpi", "improvement"), ("flat_kpi", "neither")]
)
def test_single_point_below_lower_limit(tmp_path, kpi, expected):
    # Mirror of the spike: 12, 10, ... with point 9 (a 10) replaced by -8. Sum 220 - 10 - 8 = 202,
    # mean 10.1; moving ranges 17 + 17 (vs 2 + 2 elsewhere): sum 38 - 4 + 40 = 74, LCL = 10.1 - 10.36.
    values = [12.0, 10.0] * 10
    values[9] = -8.0
    rows = run_spc(tmp_path, {("NA", kpi): values})[("NA", kpi)]
    assert rows[0]["centre"] == pytest.approx(10.1)
    assert rows[0]["lower_limit"] == pytest.approx(10.1 - 2.66 * 74 / 19)
    assert rules(rows) == [None] * 9 + ["outside_limits"] + [None] * 10
    assert signals(rows)[9] == expected


# Shift series: prefix 12, 8 (x5, ends below), a block above the centre, the mirrored block below
# (so the mean stays exactly 10), suffix 12, 8 (x5). Blocks move by 1 or 0, so moving ranges are
# at most 4 and the two-sigma line (10 + 2.66 * mean MR * 2/3 > 12 for every series here, since
# mean MR > 2.4) is never crossed; steps inside a block are 0, so no trend.
PREFIX = [12.0, 8.0] * 5
SUFFIX = [12.0, 8.0] * 5


def shift_series(above: list[float]) -> list[float]:
    below = [20.0 - v for v in above]
    return PREFIX + above + below + SUFFIX


def test_shift_of_exactly_seven_points_flags_all_seven(tmp_path):
    values = shift_series([11.0] * 7)
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    # sum 100 + 77 + 63 + 100 = 340 over 34 points: centre 10.
    # MRs: 9 x 4, 3 (8 -> 11), 6 x 0, 2 (11 -> 9), 6 x 0, 3 (9 -> 12), 9 x 4 = 80 over 33.
    assert rows[0]["centre"] == pytest.approx(10.0)
    assert rows[0]["upper_limit"] == pytest.approx(10 + 2.66 * 80 / 33)
    assert 10 + 2.66 * 80 / 33 * 2 / 3 > 12  # no two_of_three from the 12s
    assert rules(rows) == [None] * 10 + ["shift"] * 14 + [None] * 10
    # Above the centre is better for up_kpi; the run below is a concern.
    assert signals(rows) == ["common_cause"] * 10 + ["improvement"] * 7 + ["concern"] * 7 + ["common_cause"] * 10


def test_shift_signal_side_for_down_kpi(tmp_path):
    rows = run_spc(tmp_path, {("NA", "down_kpi"): shift_series([11.0] * 7)})[("NA", "down_kpi")]
    assert signals(rows)[10:24] == ["concern"] * 7 + ["improvement"] * 7


def test_shift_of_six_points_does_not_fire(tmp_path):
    values = shift_series([11.0] * 6)
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rows[0]["centre"] == pytest.approx(10.0)  # (100 + 66 + 54 + 100) / 32
    assert rules(rows) == [None] * len(values)
    assert set(signals(rows)) == {"common_cause"}


def test_point_on_the_centre_breaks_a_shift(tmp_path):
    # 11, 11, 11, 10, 11, 11, 11 then 9, 9, 9, 10, 9, 9, 9: seven points each side, but the 10s
    # lie on the centre (10) and split each into runs of three.
    values = shift_series([11.0, 11.0, 11.0, 10.0, 11.0, 11.0, 11.0])
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rows[0]["centre"] == pytest.approx(10.0)
    assert rules(rows) == [None] * len(values)


def test_a_series_on_its_centre_has_no_signal_however_many_points(tmp_path):
    # Found by the reference comparison: twenty months of exactly 1/3 have centre 1/3, and every
    # point lies on the centre and on both limits (every moving range is 0), so no rule fires. A
    # mean summed naively in floating point comes out 1 ulp under 1/3, which put every point above
    # the centre (a shift) and beyond the upper limit.
    values = [1 / 3] * 20
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rows[0]["centre"] == 1 / 3 and rows[0]["upper_limit"] == rows[0]["lower_limit"] == 1 / 3
    assert rules(rows) == [None] * 20 and set(signals(rows)) == {"common_cause"}


def test_longer_shift_flags_every_point_of_the_run(tmp_path):
    values = shift_series([11.0] * 9)
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rules(rows) == [None] * 10 + ["shift"] * 18 + [None] * 10


# Trend series: prefix 12, 8 (x5, ends 8), a run, suffix 12, 8 (x5, starting with a step down).
TREND_PREFIX = [12.0, 8.0] * 5
TREND_SUFFIX = [12.0, 8.0] * 5


def test_trend_of_exactly_seven_points_flags_all_seven(tmp_path):
    # Run 7, 8, ..., 13 (mean 10): 8 -> 7 steps down, then 6 steps up (7 points), 13 -> 12 down.
    # Centre (100 + 70 + 100) / 27 = 10. Sides: 8, 7, 8, 9 below (4), 10 on the centre,
    # 11, 12, 13, 12 above (4): no shift. MRs: 9 x 4, 1, 6 x 1, 1, 9 x 4 = 80 over 26; the
    # two-sigma line 10 + 2.66 * 80/26 * 2/3 = 15.46 is not crossed.
    run = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0]
    values = TREND_PREFIX + run + TREND_SUFFIX
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values, ("NA", "down_kpi"): values})
    up, down = rows[("NA", "up_kpi")], rows[("NA", "down_kpi")]
    assert up[0]["centre"] == pytest.approx(10.0)
    assert up[0]["upper_limit"] == pytest.approx(10 + 2.66 * 80 / 26)
    assert rules(up) == [None] * 10 + ["trend"] * 7 + [None] * 10
    assert signals(up) == ["common_cause"] * 10 + ["improvement"] * 7 + ["common_cause"] * 10
    assert signals(down) == ["common_cause"] * 10 + ["concern"] * 7 + ["common_cause"] * 10


def test_falling_trend_of_seven_points(tmp_path):
    # Mirror: prefix 8, 12 (ends 12), run 13, 12, ..., 7 (13 >= 12 so 12 -> 13 is a step up and
    # the falling run starts at 13), suffix 8, 12 (7 -> 8 is a step up).
    run = [13.0, 12.0, 11.0, 10.0, 9.0, 8.0, 7.0]
    values = [8.0, 12.0] * 5 + run + [8.0, 12.0] * 5
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rules(rows) == [None] * 10 + ["trend"] * 7 + [None] * 10
    assert signals(rows)[10:17] == ["concern"] * 7


def test_trend_of_six_points_does_not_fire(tmp_path):
    # Run 7, 8, 9, 11, 12, 13 (mean 10): five steps up, six points.
    values = TREND_PREFIX + [7.0, 8.0, 9.0, 11.0, 12.0, 13.0] + TREND_SUFFIX
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rows[0]["centre"] == pytest.approx(10.0)
    assert rules(rows) == [None] * len(values)


def test_equal_value_breaks_a_trend(tmp_path):
    # 7, 8, 9, 10, 10, 11, 12, 13 (mean 10): eight points rising overall, but the repeated 10 is a
    # zero step, leaving two runs of four. The 10s lie on the centre, so no shift either.
    values = TREND_PREFIX + [7.0, 8.0, 9.0, 10.0, 10.0, 11.0, 12.0, 13.0] + TREND_SUFFIX
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rows[0]["centre"] == pytest.approx(10.0)
    assert rules(rows) == [None] * len(values)


@pytest.mark.parametrize(
    ("kpi", "expected"), [("up_kpi", "improvement"), ("down_kpi", "concern"), ("flat_kpi", "neither")]
)
def test_rising_trend_below_the_centre_outranks_the_shift(tmp_path, kpi, expected):
    # Prefix 8, 16 (x6, ends 16 above), then 3, 4, ..., 9 at the end of the series.
    # Centre (144 + 42) / 19 = 9.789: the run is 7 points below (shift, side down) and rising
    # (trend, side up). MRs: 11 x 8, 13, 6 x 1 = 107 over 18; two-sigma lines
    # 9.789 +/- 10.54 and limits 9.789 +/- 15.81 are never crossed.
    values = [8.0, 16.0] * 6 + [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    rows = run_spc(tmp_path, {("NA", kpi): values})[("NA", kpi)]
    centre = 186 / 19
    assert rows[0]["centre"] == pytest.approx(centre)
    assert rows[0]["lower_limit"] == pytest.approx(centre - 2.66 * 107 / 18)
    assert all(v < centre for v in values[12:])
    assert centre - 2.66 * 107 / 18 * 2 / 3 < 3
    assert rules(rows) == [None] * 12 + ["shift,trend"] * 7
    assert signals(rows) == ["common_cause"] * 12 + [expected] * 7


def test_outside_limits_and_a_trend_on_the_same_side(tmp_path):
    # 12, 10 alternating (x8, ends 10), then a falling run 14, 13.5, 13, 12.5, 11.5, 11, -20 (end of
    # series). Sum 176 + 55.5 = 231.5 over 23: centre 10.065. MRs: 15 x 2, 4, 0.5 x 3, 1, 0.5, 31
    # = 68 over 22: LCL = 10.065 - 2.66 * 68/22 = 1.84, so -20 is outside; two-sigma lines
    # 10.065 +/- 5.48 are crossed only by -20. The run's six points above the centre follow a 10
    # below it: no shift. The trend (down) gives the side of six points; -20 is labelled by its own
    # side (below the lower limit), which is the trend's side too.
    values = [12.0, 10.0] * 8 + [14.0, 13.5, 13.0, 12.5, 11.5, 11.0, -20.0]
    out = run_spc(tmp_path, {("NA", "up_kpi"): values, ("NA", "down_kpi"): values})
    up, down = out[("NA", "up_kpi")], out[("NA", "down_kpi")]
    centre = 231.5 / 23
    assert up[0]["centre"] == pytest.approx(centre)
    assert up[0]["lower_limit"] == pytest.approx(centre - 2.66 * 68 / 22)
    assert -20 < centre - 2.66 * 68 / 22
    assert rules(up) == [None] * 16 + ["trend"] * 6 + ["outside_limits,trend"]
    assert signals(up) == ["common_cause"] * 16 + ["concern"] * 7
    assert signals(down) == ["common_cause"] * 16 + ["improvement"] * 7


def test_outside_limits_outranks_a_trend(tmp_path):
    # A rising run whose FIRST point is an extreme low (outside the lower limit): a point beyond a
    # limit is labelled by its own side, so for up_kpi the low point is a concern although it
    # starts a rising trend; the other six points of the run take the trend's side (up).
    # 8, 12 alternating (x8, ends 12), then -20, 9, 9.5, 10, 10.5, 11, 11.2 (end of series).
    # Sum 160 + 41.2 = 201.2 over 23: centre 8.748. MRs: 15 x 4, 32, 29, 0.5 x 4, 0.2 = 123.2 over 22:
    # LCL = 8.748 - 14.90 = -6.15 (so -20 is outside), UCL 23.6, two-sigma lines 8.748 +/- 9.93.
    # The six points 9 .. 11.2 above the centre follow -20 below it: no shift.
    values = [8.0, 12.0] * 8 + [-20.0, 9.0, 9.5, 10.0, 10.5, 11.0, 11.2]
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    centre, mr = 201.2 / 23, 123.2 / 22
    assert rows[0]["centre"] == pytest.approx(centre)
    assert rows[0]["lower_limit"] == pytest.approx(centre - 2.66 * mr)
    assert -20 < centre - 2.66 * mr < centre - 2.66 * mr * 2 / 3 < 8
    assert rules(rows) == [None] * 16 + ["outside_limits,trend"] + ["trend"] * 6
    assert signals(rows) == ["common_cause"] * 16 + ["concern"] + ["improvement"] * 6


def test_two_of_three_flags_the_two_points_only(tmp_path):
    # Prefix 11, 9 (x6, ends 9), window 15, 11, 15, suffix 9, 11 (x6).
    # Sum 120 + 41 + 120 = 281 over 27: centre 10.407. MRs: 11 x 2, 6, 4, 4, 6, 11 x 2 = 64 over
    # 26. Upper two-sigma 10.407 + 2.66 * 64/26 * 2/3 = 14.77 < 15 < UCL 16.95; 11 is above the
    # centre but not beyond two sigma. The three window points are all above the centre.
    values = [11.0, 9.0] * 6 + [15.0, 11.0, 15.0] + [9.0, 11.0] * 6
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values, ("NA", "down_kpi"): values})
    up, down = rows[("NA", "up_kpi")], rows[("NA", "down_kpi")]
    centre, mr = 281 / 27, 64 / 26
    assert up[0]["centre"] == pytest.approx(centre)
    assert up[0]["upper_limit"] == pytest.approx(centre + 2.66 * mr)
    assert centre + 2.66 * mr * 2 / 3 < 15 < centre + 2.66 * mr
    assert rules(up) == [None] * 12 + ["two_of_three", None, "two_of_three"] + [None] * 12
    assert signals(up) == ["common_cause"] * 12 + ["improvement", "common_cause", "improvement"] + ["common_cause"] * 12
    assert signals(down)[12:15] == ["concern", "common_cause", "concern"]


def test_two_of_three_needs_all_three_on_the_same_side(tmp_path):
    # Prefix 11, 9 (x6, ends 9 below), 15, 15, 10, suffix 11, 9 (x6).
    # Sum 120 + 40 + 120 = 280 over 27: centre 10.370; MRs 11 x 2, 6, 0, 5, 1, 11 x 2 = 56 over 26.
    # Upper two-sigma 10.370 + 2.66 * 56/26 * 2/3 = 14.19 < 15 < UCL 16.10. The windows holding both
    # 15s are (9, 15, 15) and (15, 15, 10), each with one point below the centre: no flag.
    values = [11.0, 9.0] * 6 + [15.0, 15.0, 10.0] + [11.0, 9.0] * 6
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    centre, mr = 280 / 27, 56 / 26
    assert rows[0]["centre"] == pytest.approx(centre)
    assert centre + 2.66 * mr * 2 / 3 < 15 < centre + 2.66 * mr
    assert 10 < centre
    assert rules(rows) == [None] * len(values)


def test_two_of_three_below(tmp_path):
    # Mirror of the flagged window: prefix 9, 11 (x6, ends 11), window 5, 9, 5, suffix 11, 9 (x6).
    # Sum 120 + 19 + 120 = 259 over 27: centre 9.593; MRs 11 x 2, 6, 4, 4, 6, 11 x 2 = 64 over 26.
    values = [9.0, 11.0] * 6 + [5.0, 9.0, 5.0] + [11.0, 9.0] * 6
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    centre, mr = 259 / 27, 64 / 26
    assert centre - 2.66 * mr < 5 < centre - 2.66 * mr * 2 / 3
    assert 9 < centre
    assert rules(rows) == [None] * 12 + ["two_of_three", None, "two_of_three"] + [None] * 12
    assert signals(rows)[12:15] == ["concern", "common_cause", "concern"]


def test_fewer_than_twelve_points_gets_no_limits(tmp_path):
    values = [10.0, 12.0] * 5 + [30.0]  # 11 points, with an "outlier"
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert len(rows) == 11
    for r in rows:
        assert r["signal"] == "too_few_points"
        assert r["centre"] is None and r["upper_limit"] is None and r["lower_limit"] is None
        assert r["baseline_points"] == 11
        assert r["rules"] is None


def test_fewer_than_twelve_points_gets_no_signals_even_for_a_trend(tmp_path):
    # 11 points strictly rising: a trend by the step rule, but the series has no limits and, per
    # the header, "no signals": neither a rule nor a signal is reported.
    values = [float(v) for v in range(1, 12)]
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert signals(rows) == ["too_few_points"] * 11
    assert rules(rows) == [None] * 11


def test_months_without_a_row_are_skipped(tmp_path):
    # 12 published points with two gaps: still 12 points, consecutive in the series, so the
    # moving ranges join the points either side of a gap. Values 10, 12 alternating -> centre 11,
    # mean MR 2 (the pairs across a gap are 10 -> 12 and 12 -> 10 as well).
    values = [10.0, 12.0, None, 10.0, 12.0, 10.0, None, 12.0, 10.0, 12.0, 10.0, 12.0, 10.0, 12.0]
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert len(rows) == 12
    assert month(2) not in [r["period"] for r in rows]
    assert rows[0]["centre"] == pytest.approx(11.0)
    assert rows[0]["upper_limit"] == pytest.approx(16.32)
    assert rows[0]["baseline_points"] == 12


# Fixed baseline: 12 baseline months 11, 9 alternating (centre 10, MR 2, limits 15.32 / 4.68,
# upper two-sigma 13.547), then a step to 13, 13, 13, 16, 13, 13, 13. Against the baseline: the
# seven later points are a shift above (13 > 10) and 16 is outside the limits; 13 is below the
# two-sigma line so only one near-limit point per window (no two_of_three); steps 9 -> 13 up,
# 0, 0, up, down, 0, 0: no trend. Over all 19 months the centre would be
# (120 + 94) / 19 = 11.26 instead.
BASELINE = [11.0, 9.0] * 6
AFTER = [13.0, 13.0, 13.0, 16.0, 13.0, 13.0, 13.0]


def assert_fixed_baseline(rows):
    assert len(rows) == 19
    for r in rows:
        assert r["centre"] == pytest.approx(10.0)
        assert r["upper_limit"] == pytest.approx(15.32)
        assert r["lower_limit"] == pytest.approx(4.68)
        assert r["baseline_from"] == month(0)
        assert r["baseline_to"] == month(11)
        assert r["baseline_points"] == 12
    assert [r["is_baseline"] for r in rows] == [True] * 12 + [False] * 7
    assert rules(rows) == [None] * 12 + ["shift"] * 3 + ["outside_limits,shift"] + ["shift"] * 3
    assert signals(rows) == ["common_cause"] * 12 + ["improvement"] * 7


def assert_all_months_baseline(rows, values):
    assert [r["is_baseline"] for r in rows] == [True] * len(values)
    assert rows[0]["centre"] == pytest.approx(sum(values) / len(values))
    assert rows[0]["baseline_points"] == len(values)


def test_fixed_baseline_for_one_force(tmp_path):
    values = BASELINE + AFTER
    out = run_spc(
        tmp_path,
        {("NA", "up_kpi"): values, ("NB", "up_kpi"): values},
        baselines=[("NA", None, month(11))],
    )
    assert_fixed_baseline(out[("NA", "up_kpi")])
    # NB has no row and there is no '*': every month is baseline.
    nb = out[("NB", "up_kpi")]
    assert_all_months_baseline(nb, values)
    assert nb[0]["centre"] == pytest.approx(214 / 19)


def test_fixed_baseline_with_first_and_last(tmp_path):
    # Baseline months 2..13: the first two months (50, 50) and the later ones are outside it.
    values = [50.0, 50.0] + BASELINE + AFTER
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values}, baselines=[("NA", month(2), month(13))])[("NA", "up_kpi")]
    assert [r["is_baseline"] for r in rows] == [False] * 2 + [True] * 12 + [False] * 7
    assert rows[0]["centre"] == pytest.approx(10.0)
    assert rows[0]["upper_limit"] == pytest.approx(15.32)  # the 50 -> 11 range is not a baseline range
    assert rows[0]["baseline_from"] == month(2) and rows[0]["baseline_to"] == month(13)
    assert rows[0]["rules"] is not None and "outside_limits" in rows[0]["rules"]


def test_star_baseline_applies_to_forces_without_their_own_row(tmp_path):
    values = BASELINE + AFTER
    # NA and ALL have no row of their own: '*' (baseline to month 11) applies. NB's own row
    # (baseline to month 13) takes precedence over '*'.
    out = run_spc(
        tmp_path,
        {("NA", "up_kpi"): values, ("ALL", "up_kpi"): values, ("NB", "up_kpi"): values},
        baselines=[("*", None, month(11)), ("NB", None, month(13))],
    )
    assert_fixed_baseline(out[("NA", "up_kpi")])
    assert_fixed_baseline(out[("ALL", "up_kpi")])
    nb = out[("NB", "up_kpi")]
    assert [r["is_baseline"] for r in nb] == [True] * 14 + [False] * 5
    assert nb[0]["centre"] == pytest.approx((120 + 26) / 14)


def test_own_row_with_open_end_is_not_completed_from_star(tmp_path):
    # The module docstring: '*' applies to forces "without a row of its own", and a blank month
    # is open. NC's own row (from month 0, no end) therefore makes every month baseline; the
    # '*' row's end (month 11) must not fill NC's blank end.
    values = BASELINE + AFTER
    out = run_spc(
        tmp_path,
        {("NC", "up_kpi"): values},
        baselines=[("*", None, month(11)), ("NC", month(0), None)],
    )
    assert_all_months_baseline(out[("NC", "up_kpi")], values)


def test_baseline_with_too_few_points(tmp_path):
    # 11 baseline months out of 19: too few, even though the series is long.
    values = BASELINE + AFTER
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values}, baselines=[("NA", None, month(10))])[("NA", "up_kpi")]
    assert signals(rows) == ["too_few_points"] * 19
    assert all(r["centre"] is None and r["upper_limit"] is None for r in rows)
    assert rows[0]["baseline_points"] == 11


def test_only_breakdown_all_and_series_per_force_and_kpi(tmp_path):
    spike = list(SPIKE)
    flat = [10.0, 12.0] * 10
    other = [
        ("NA", month(i), "up_kpi", breakdown, 1.0, 2.0, 500.0 + i, None, None, False)
        for i in range(20)
        for breakdown in ("sex=female", "age=18-24")
    ]
    out = run_spc(
        tmp_path,
        {("NA", "up_kpi"): spike, ("NB", "up_kpi"): flat, ("NA", "down_kpi"): flat},
        extra_rows=other,
    )
    assert set(out) == {("NA", "up_kpi"), ("NB", "up_kpi"), ("NA", "down_kpi")}
    na = out[("NA", "up_kpi")]
    assert len(na) == 20
    assert [r["value"] for r in na] == spike
    assert [r["period"] for r in na] == [month(i) for i in range(20)]
    assert na[0]["centre"] == pytest.approx(11.9)
    assert rules(na) == [None] * 9 + ["outside_limits"] + [None] * 10
    # The other force and the other KPI have their own centre (11) and limits (11 +/- 5.32).
    for key in (("NB", "up_kpi"), ("NA", "down_kpi")):
        rows = out[key]
        assert rows[0]["centre"] == pytest.approx(11.0)
        assert rows[0]["upper_limit"] == pytest.approx(16.32)
        assert rules(rows) == [None] * 20


def test_kpi_missing_from_catalogue_is_dropped(tmp_path):
    out = run_spc(tmp_path, {("NA", "up_kpi"): [10.0, 12.0] * 6, ("NA", "unknown_kpi"): [10.0, 12.0] * 6})
    assert set(out) == {("NA", "up_kpi")}


def test_grain_one_row_per_force_kpi_month(tmp_path):
    values = [10.0, 12.0] * 10
    out = run_spc(tmp_path, {(f, k): values for f in ("NA", "NB", "ALL") for k, _ in CATALOGUE})
    assert len(out) == 9
    for rows in out.values():
        periods = [r["period"] for r in rows]
        assert periods == sorted(set(periods)) and len(periods) == 20


# ----------------------------------------------------------------------------- catalogue v1.1


def test_rise_then_fall_gives_one_row_per_month(tmp_path):
    # 1, 2, ..., 7, 6, ..., 1: 13 months. The peak (7) ends a 7-point rise and starts a 7-point fall;
    # it is one row, not two. Sum 28 + 21 = 49: centre 49/13 = 3.769; 12 moving ranges of 1: mean 1.
    # Limits 3.769 +/- 2.66 = 6.429 / 1.109: 7 is above, both 1s below. Two-sigma lines 3.769 +/-
    # 1.773 = 5.543 / 1.996: 6 and 7 beyond the upper one; the 2s (2 > 1.996) are not beyond the
    # lower one. Above the centre: 4, 5, 6, 7, 6, 5, 4 (seven points: a shift). Windows above the
    # centre with two points beyond two sigma: (5, 6, 7), (6, 7, 6), (7, 6, 5): the 6s and the 7 fire
    # two_of_three. Signals: a 1 is below the lower limit (its own side, low) though a trend runs
    # through it; the rise is high, the fall low, the peak high (outside_limits, above).
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    out = run_spc(tmp_path, {("NA", "up_kpi"): values, ("NA", "down_kpi"): values})
    up, down = out[("NA", "up_kpi")], out[("NA", "down_kpi")]
    assert len(up) == 13 and [r["period"] for r in up] == [month(i) for i in range(13)]
    assert up[0]["centre"] == pytest.approx(49 / 13)
    assert up[0]["upper_limit"] == pytest.approx(49 / 13 + 2.66)
    assert up[0]["lower_limit"] == pytest.approx(49 / 13 - 2.66)
    assert rules(up) == [
        "outside_limits,trend", "trend", "trend", "shift,trend", "shift,trend", "shift,trend,two_of_three",
        "outside_limits,shift,trend,two_of_three",
        "shift,trend,two_of_three", "shift,trend", "shift,trend", "trend", "trend", "outside_limits,trend",
    ]  # fmt: skip
    assert signals(up) == ["concern"] + ["improvement"] * 6 + ["concern"] * 6
    assert signals(down) == ["improvement"] + ["concern"] * 6 + ["improvement"] * 6


# A rise and a fall of seven points each sharing their top point, inside wide limits:
# prefix 0, 24 (x3, ends 24), rise 8, 9, ..., 14, fall 13, ..., 8, suffix 24, 0 (x3). 25 points,
# sum 72 + 77 + 63 + 72 = 284: centre 11.36. Moving ranges 5 x 24, 16 (24 -> 8), 12 x 1, 16
# (8 -> 24), 5 x 24 = 284 over 24: limits 11.36 +/- 31.48, two-sigma lines 11.36 +/- 20.98 (32.34
# and -9.62): no point is beyond either. Above the centre only 12, 13, 14, 13, 12 in a row (five):
# no shift. The peak's only rule is trend, and it ends the rise: it is high.
PEAK = [0.0, 24.0] * 3 + [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 13.0, 12.0, 11.0, 10.0, 9.0, 8.0] + [24.0, 0.0] * 3


def test_a_peak_takes_the_side_of_the_rise_that_ends_there(tmp_path):
    out = run_spc(tmp_path, {("NA", "up_kpi"): PEAK, ("NA", "down_kpi"): PEAK})
    up, down = out[("NA", "up_kpi")], out[("NA", "down_kpi")]
    assert len(up) == 25
    assert up[0]["centre"] == pytest.approx(284 / 25)
    assert up[0]["upper_limit"] == pytest.approx(284 / 25 + 2.66 * 284 / 24)
    assert rules(up) == [None] * 6 + ["trend"] * 13 + [None] * 6
    # Points 6-11 rise, 12 is the peak, 13-18 fall.
    assert signals(up) == ["common_cause"] * 6 + ["improvement"] * 7 + ["concern"] * 6 + ["common_cause"] * 6
    assert signals(down) == ["common_cause"] * 6 + ["concern"] * 7 + ["improvement"] * 6 + ["common_cause"] * 6


def test_a_trough_takes_the_side_of_the_fall_that_ends_there(tmp_path):
    # The mirror image 24 - x of PEAK: centre 24 - 11.36 = 12.64, the same moving ranges and
    # limits' width; below the centre only 12, 11, 10, 11, 12 in a row. The trough (10) ends the
    # fall: it is low.
    values = [24.0 - v for v in PEAK]
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert rows[0]["centre"] == pytest.approx(24 - 284 / 25)
    assert rules(rows) == [None] * 6 + ["trend"] * 13 + [None] * 6
    assert signals(rows) == ["common_cause"] * 6 + ["concern"] * 7 + ["improvement"] * 6 + ["common_cause"] * 6


@pytest.mark.parametrize(("kpi", "expected"), [("up_kpi", "improvement"), ("down_kpi", "concern")])
def test_trend_outranks_two_of_three(tmp_path, kpi, expected):
    # 10, 14 alternating (x6, ends 14 above), then a rise 1, 2, 7, 8, 9, 10, 11 to the end (14 -> 1
    # is a fall, so the rise starts at 1: seven points). Sum 144 + 48 = 192: centre 10.105.
    # Moving ranges 11 x 4, 13, 1, 5, 1, 1, 1, 1 = 67 over 18: limits 10.105 +/- 9.901 (0.204,
    # 20.006), lower two-sigma line 10.105 - 6.601 = 3.505. 1 and 2 are beyond it (not beyond the
    # limit); the window (1, 2, 7) is all below the centre: both fire two_of_three (low), and both
    # are in the rise (high): trend wins. Below the centre: 1, 2, 7, 8, 9, 10 (six): no shift.
    values = [10.0, 14.0] * 6 + [1.0, 2.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    rows = run_spc(tmp_path, {("NA", kpi): values})[("NA", kpi)]
    centre, mr = 192 / 19, 67 / 18
    assert rows[0]["centre"] == pytest.approx(centre)
    assert rows[0]["lower_limit"] == pytest.approx(centre - 2.66 * mr)
    assert centre - 2.66 * mr < 1 < 2 < centre - 2 / 3 * 2.66 * mr < 7
    assert rules(rows) == [None] * 12 + ["trend,two_of_three"] * 2 + ["trend"] * 5
    assert signals(rows) == ["common_cause"] * 12 + [expected] * 7


def test_provisional_months_take_no_part(tmp_path):
    # Twelve settled months 10, 12, ... (centre 11, mean moving range 2, limits 16.32 / 5.68) and
    # two provisional months of 100: they would be far outside the limits and move the centre, but
    # they are not in the series. They keep their rows, with signal `provisional` and nothing else.
    values = [10.0, 12.0] * 6 + [Provisional(100.0), Provisional(100.0)]
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert len(rows) == 14
    assert [r["provisional"] for r in rows] == [False] * 12 + [True] * 2
    assert signals(rows) == ["common_cause"] * 12 + ["provisional"] * 2
    for r in rows[:12]:
        assert r["centre"] == pytest.approx(11.0)
        assert r["upper_limit"] == pytest.approx(16.32) and r["lower_limit"] == pytest.approx(5.68)
    for r in rows[12:]:
        assert r["value"] == 100.0
        assert (r["centre"], r["upper_limit"], r["lower_limit"], r["rules"]) == (None, None, None, None)
        assert r["is_baseline"] is False
    assert rows[0]["baseline_points"] == 12


def test_a_provisional_month_between_settled_ones_is_skipped(tmp_path):
    # ALL can have a provisional month between settled ones (a force with an older extract is
    # still settling there). The settled points either side are consecutive in the series: their
    # moving range is |12 - 10| = 2, so the mean moving range stays 2 (with the 50 it would be
    # (10 x 2 + 40 + 38) / 12).
    values = [10.0, 12.0, 10.0, 12.0, 10.0, Provisional(50.0), 12.0, 10.0, 12.0, 10.0, 12.0, 10.0, 12.0]
    rows = run_spc(tmp_path, {("ALL", "up_kpi"): values})[("ALL", "up_kpi")]
    assert len(rows) == 13
    assert signals(rows) == ["common_cause"] * 5 + ["provisional"] + ["common_cause"] * 7
    assert rows[0]["centre"] == pytest.approx(11.0)
    assert rows[0]["upper_limit"] == pytest.approx(16.32)


def test_too_few_settled_points(tmp_path):
    # Eleven settled months and one provisional: too few points for the eleven, and the
    # provisional month is still `provisional`.
    values = [10.0, 12.0] * 5 + [10.0, Provisional(12.0)]
    rows = run_spc(tmp_path, {("NA", "up_kpi"): values})[("NA", "up_kpi")]
    assert signals(rows) == ["too_few_points"] * 11 + ["provisional"]
    assert all(r["centre"] is None and r["rules"] is None for r in rows)
    assert rows[0]["baseline_points"] == 11


def test_same_results_whatever_the_thread_count(tmp_path):
    # Floating-point sums depend on the order they add up in, and DuckDB's parallel aggregates
    # combine per-thread partial sums in whatever order the threads finish. With small row groups
    # (2,048 rows) and 16 threads, each series' 24 rows are spread over many row groups (the rows
    # are shuffled), so a plain avg() gives different last digits from run to run; the ordered
    # means of kpi_spc.sql must not. Values span nine orders of magnitude to make that visible.
    con = duckdb.connect()
    con.execute(f"attach '{tmp_path / 'small_groups.duckdb'}' as small (row_group_size 2048)")
    con.execute("use small")
    con.execute(
        "create table kpi_monthly (force_code varchar, period date, kpi_id varchar, breakdown varchar, "
        "numerator double, denominator double, value double, ci_low double, ci_high double, provisional boolean)"
    )
    con.execute(
        "create table kpi_catalogue (kpi_id varchar, title varchar, kind varchar, unit varchar, "
        "better varchar, section varchar, definition varchar, position integer)"
    )
    kpi_ids = [f"k{i:02d}" for i in range(25)]
    con.executemany(
        "insert into kpi_catalogue values (?, ?, 'proportion', 'percent', 'up', 'test', 'test', ?)",
        [(k, k, i) for i, k in enumerate(kpi_ids)],
    )
    # 40 forces x 25 KPIs x 24 months, in a hashed (shuffled) order; values from a hash, 0.001 to 1e6.
    con.execute("set threads = 1")
    con.execute(
        """
        insert into kpi_monthly
        select
            'F' || f.range, date '2023-01-01' + to_months(m.range::integer), 'k' || lpad(k.range::varchar, 2, '0'),
            'all', null, null, (hash(f.range, k.range, m.range) % 1000003) / 1000003.0
            * pow(10, (hash(m.range, k.range, f.range) % 10)::integer - 3), null, null, false
        from range(40) as f, range(25) as k, range(24) as m
        order by hash(f.range * 100000 + k.range * 100 + m.range)
        """
    )
    write_baselines(con, [])
    results = []
    for threads in (1, 16, 16, 16):
        con.execute(f"set threads = {threads}")
        run_sql_file(con, "kpi_spc.sql", SPC_PARAMS, create_table="kpi_spc")
        results.append(con.execute("select * from kpi_spc order by force_code, kpi_id, period").fetchall())
    assert len(results[0]) == 40 * 25 * 24
    assert all(result == results[0] for result in results[1:])

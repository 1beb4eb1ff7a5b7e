"""sql/kpi_funnel.sql on hand-built kpi_monthly rows: the window, the national value, limits
clipped to [0, 1], positions strictly beyond a limit, signals by better direction, and which
rows take part. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import math
import random
from datetime import date

import duckdb
import pytest

from pipelines.warehouse import run_sql_file

Z95, Z998 = 1.959963984540054, 3.090232306167813

CATALOGUE = [
    # kpi_id, kind, better
    ("up_kpi", "proportion", "up"),
    ("down_kpi", "proportion", "down"),
    ("flat_kpi", "proportion", None),
    ("median_kpi", "median", "down"),
    ("unsettled_kpi", "proportion", "up"),
]


def month(i: int) -> date:
    """The i-th month (0-based) from January 2023."""
    return date(2023 + i // 12, i % 12 + 1, 1)


# (force, month index, numerator, denominator, provisional). ALL is the pooled sum per month.
FORCE_ROWS = [
    ("FA", 1, 1000, 1000, False),  # before the window: left out
    ("FA", 2, 35, 50, False),
    ("FA", 13, 35, 50, False),  # FA: 70 / 100 in the window
    ("FA", 14, 0, 10, True),
    ("FB", 5, 62, 100, False),  # FB: 62 / 100
    ("FB", 12, 100, 100, True),  # provisional inside the window: left out
    ("FC", 7, 50, 100, False),  # FC: 50 / 100
    ("FC", 15, 5, 10, True),
    ("FD", 3, 20, 60, False),
    ("FD", 9, 18, 40, False),  # FD: 38 / 100
    ("FE", 13, 30, 100, False),  # FE: 30 / 100
    ("FG", 4, 1, 1, False),  # FG: 1 / 1
    ("FH", 6, 0, 1, False),  # FH: 0 / 1
    ("FY", 12, 10, 10, True),  # only a provisional row in the window: no funnel row
    ("FZ", 1, 5, 10, False),  # only a row before the window: no funnel row
]
# ALL per month: m1 1005/1010, m2 35/50, m3 20/60, m4 1/1, m5 62/100, m6 0/1, m7 50/100,
# m9 18/40, m12 110/110 (provisional: FB and FY are), m13 65/150, m14 0/10 and m15 5/10
# (provisional). The latest settled ALL month is 13 (February 2024), so the window is months
# 2-13 (March 2023 - February 2024). ALL's settled rows in it: 251 / 502, p = 0.5 exactly.


def all_rows() -> list[tuple]:
    pooled: dict[int, list] = {}
    for _, m, numerator, denominator, provisional in FORCE_ROWS:
        entry = pooled.setdefault(m, [0, 0, False])
        entry[0] += numerator
        entry[1] += denominator
        entry[2] = entry[2] or provisional
    return [("ALL", m, n, d, p) for m, (n, d, p) in pooled.items()]


def run_funnel(tmp_path, rows_by_kpi: dict) -> dict:
    """kpi_monthly and kpi_catalogue from hand-built rows, then kpi_funnel.sql: {(kpi, force): row dict}."""
    con = duckdb.connect(str(tmp_path / "funnel.duckdb"))
    con.execute(
        "create table kpi_monthly (force_code varchar, period date, kpi_id varchar, breakdown varchar, "
        "numerator double, denominator double, value double, ci_low double, ci_high double, provisional boolean)"
    )
    con.execute(
        "create table kpi_catalogue (kpi_id varchar, title varchar, kind varchar, unit varchar, "
        "better varchar, section varchar, definition varchar, position integer)"
    )
    con.executemany(
        "insert into kpi_catalogue values (?, ?, ?, 'share', ?, 'test', 'test', ?)",
        [(kpi, kpi, kind, better, i) for i, (kpi, kind, better) in enumerate(CATALOGUE, start=1)],
    )
    table = []
    for kpi, rows in rows_by_kpi.items():
        for force, m, numerator, denominator, provisional in rows:
            value = numerator / denominator
            table.append((force, month(m), kpi, "all", numerator, denominator, value, 0.0, 1.0, provisional))
            # A breakdown row never takes part.
            table.append((force, month(m), kpi, "victim_sex=male", 1, 1, 1.0, 0.0, 1.0, provisional))
    random.Random(3).shuffle(table)
    con.executemany("insert into kpi_monthly values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", table)
    run_sql_file(con, "kpi_funnel.sql", create_table="kpi_funnel")
    cursor = con.execute("select * from kpi_funnel")
    names = [d[0] for d in cursor.description]
    result = {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    con.close()
    return result


@pytest.fixture
def funnel(tmp_path):
    rows = FORCE_ROWS + all_rows()
    return run_funnel(tmp_path, {"up_kpi": rows, "down_kpi": rows, "flat_kpi": rows, "median_kpi": rows})


def test_columns_and_which_forces_have_a_row(funnel):
    first = next(iter(funnel.values()))
    assert list(first) == [
        "kpi_id", "force_code", "window_from", "window_to", "numerator", "denominator", "value", "national_value",
        "lower_95", "upper_95", "lower_99_8", "upper_99_8", "position", "signal",
    ]  # fmt: skip
    # Proportions only; ALL has no row; FY (only a provisional row in the window) and FZ (only a
    # row before it) have no denominator in the window.
    forces = ("FA", "FB", "FC", "FD", "FE", "FG", "FH")
    assert sorted(funnel) == sorted((kpi, force) for kpi in ("up_kpi", "down_kpi", "flat_kpi") for force in forces)


def test_window_and_sums(funnel):
    for row in funnel.values():
        assert (row["window_from"], row["window_to"]) == (month(2), month(13)) == (date(2023, 3, 1), date(2024, 2, 1))
        assert row["national_value"] == 0.5  # 251 / 502
    sums = {force: (row["numerator"], row["denominator"], row["value"]) for (kpi, force), row in funnel.items()
            if kpi == "up_kpi"}  # fmt: skip
    assert sums == {
        "FA": (70, 100, 0.7), "FB": (62, 100, 0.62), "FC": (50, 100, 0.5), "FD": (38, 100, 0.38),
        "FE": (30, 100, 0.3), "FG": (1, 1, 1.0), "FH": (0, 1, 0.0),
    }  # fmt: skip


def test_limits_for_a_denominator_of_100(funnel):
    # p = 0.5, n = 100: sqrt(0.25 / 100) = 0.05. 95%: 0.5 -/+ 0.0979982 = 0.4020018 / 0.5979982;
    # 99.8%: 0.5 -/+ 0.1545116 = 0.3454884 / 0.6545116.
    row = funnel[("up_kpi", "FC")]
    assert row["lower_95"] == pytest.approx(0.5 - Z95 * 0.05, abs=1e-15)
    assert row["upper_95"] == pytest.approx(0.5 + Z95 * 0.05, abs=1e-15)
    assert row["lower_99_8"] == pytest.approx(0.5 - Z998 * 0.05, abs=1e-15)
    assert row["upper_99_8"] == pytest.approx(0.5 + Z998 * 0.05, abs=1e-15)
    assert math.isclose(row["upper_95"], 0.5979982, abs_tol=1e-7)
    assert math.isclose(row["lower_99_8"], 0.3454884, abs_tol=1e-7)


def test_limits_are_clipped_to_0_and_1_and_a_value_on_a_limit_is_within(funnel):
    # n = 1: sqrt(0.25) = 0.5, so 0.5 -/+ 0.98 and 0.5 -/+ 1.545: clipped to [0, 1] at both levels.
    # FG's 1.0 equals the upper limits and FH's 0.0 the lower ones: not strictly beyond, so within.
    for force in ("FG", "FH"):
        row = funnel[("up_kpi", force)]
        assert (row["lower_95"], row["upper_95"], row["lower_99_8"], row["upper_99_8"]) == (0.0, 1.0, 0.0, 1.0)
        assert (row["position"], row["signal"]) == ("within", "within_limits")


def test_positions_and_signals(funnel):
    def outcome(kpi):
        return {force: (row["position"], row["signal"]) for (k, force), row in funnel.items() if k == kpi}

    # 0.70 > 0.6545 (above 99.8%); 0.6545 > 0.62 > 0.5980 (above 95% only); 0.3455 < 0.38 < 0.4020
    # (below 95% only); 0.30 < 0.3455 (below 99.8%). Only the 99.8% positions carry a signal.
    assert outcome("up_kpi") == {
        "FA": ("above_99.8", "improvement"), "FB": ("above_95", "within_limits"), "FC": ("within", "within_limits"),
        "FD": ("below_95", "within_limits"), "FE": ("below_99.8", "concern"), "FG": ("within", "within_limits"),
        "FH": ("within", "within_limits"),
    }  # fmt: skip
    down = outcome("down_kpi")
    assert down["FA"] == ("above_99.8", "concern") and down["FE"] == ("below_99.8", "improvement")
    assert down["FB"] == ("above_95", "within_limits")
    flat = outcome("flat_kpi")
    assert flat["FA"] == ("above_99.8", "neither") and flat["FE"] == ("below_99.8", "neither")
    assert flat["FD"] == ("below_95", "within_limits")


def test_no_rows_when_all_has_no_settled_month(tmp_path):
    rows = [("FA", 1, 5, 10, True), ("ALL", 1, 5, 10, True)]
    assert run_funnel(tmp_path, {"unsettled_kpi": rows}) == {}


def test_window_of_twelve_months_ends_with_the_latest_settled_all_month(tmp_path):
    # ALL settled in months 0-20, provisional in 21-23; the window is months 9-20, so FA's month 8
    # is left out and its month 9 counted: 1 + 1 + ... over months 9-20 of 1 / 2 each = 12 / 24.
    rows = [("FA", m, 1, 2, m >= 21) for m in range(24)] + [("FB", m, 1, 2, m >= 21) for m in range(24)]
    rows += [("ALL", m, 2, 4, m >= 21) for m in range(24)]
    row = run_funnel(tmp_path, {"up_kpi": rows})[("up_kpi", "FA")]
    assert (row["window_from"], row["window_to"]) == (month(9), month(20))
    assert (row["numerator"], row["denominator"], row["national_value"]) == (12, 24, 0.5)

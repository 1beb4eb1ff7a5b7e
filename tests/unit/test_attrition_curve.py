"""sql/kpi/attrition_partials.sql then sql/attrition_curve.sql: Kaplan-Meier share of victims who
have withdrawn by each day after report, on hand-worked cases and against lifelines on random ones."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.warehouse import run_sql_file


def case(force, case_id, reported, withdrawn=None, outcome=None, extract=date(2024, 6, 30)):
    return {
        "force_code": force,
        "case_id": case_id,
        "reported_date": reported,
        "victim_withdrawal_date": withdrawn,
        "outcome_date": outcome,
        "extract_date": extract,
    }


def run_curve(directory: Path, cases: list[dict], ranges: list[tuple]) -> dict:
    """Write valid_cases and force_ranges into a DuckDB file, run the query, and return
    {(force, quarter): [row dict for day 0..365]}. ranges: (force, first_period, last_period)."""
    con = duckdb.connect(str(directory / "attrition.duckdb"))
    con.execute(
        "create or replace table valid_cases (force_code varchar, extracted_at timestamptz, extract_date date, "
        "case_id varchar, reported_date date, victim_withdrawal_date date, outcome_date date, outcome_code varchar)"
    )
    con.executemany(
        "insert into valid_cases values (?, ?, ?, ?, ?, ?, ?, null)",
        [
            (
                c["force_code"],
                datetime.combine(c["extract_date"], datetime.min.time(), tzinfo=UTC),
                c["extract_date"],
                c["case_id"],
                c["reported_date"],
                c["victim_withdrawal_date"],
                c["outcome_date"],
            )
            for c in cases
        ],
    )
    con.execute(
        "create or replace table force_ranges (force_code varchar, first_period date, last_period date, "
        "extract_date date, extracted_at timestamptz)"
    )
    con.executemany("insert into force_ranges values (?, ?, ?, ?, null)", [(f, a, b, b) for f, a, b in ranges])
    run_sql_file(con, "kpi/attrition_partials.sql", create_table="attrition_partials")
    run_sql_file(con, "attrition_curve.sql", create_table="attrition_curve")
    cursor = con.execute("select * from attrition_curve order by force_code, report_quarter, day")
    names = [d[0] for d in cursor.description]
    out: dict = {}
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        out.setdefault((record["force_code"], record["report_quarter"]), []).append(record)
    con.close()
    return out


Q1 = date(2024, 1, 1)
Q2 = date(2024, 4, 1)
REPORTED = date(2024, 1, 10)


def day(n: int, start: date = REPORTED) -> date:
    return start + timedelta(days=n)


# Force NA, five cases reported 10 Jan 2024 (Q1): withdrawals on day 0, 3 and 3 (one of them with
# an outcome later, which must not matter), one closed without a withdrawal on day 2 (censored),
# one open, censored at D_T = 15 Jan (day 5).
NA_CASES = [
    case("NA", "a1", REPORTED, withdrawn=day(0), extract=day(5)),
    case("NA", "a2", REPORTED, withdrawn=day(3), outcome=day(40), extract=day(5)),
    case("NA", "a3", REPORTED, withdrawn=day(3), extract=day(5)),
    case("NA", "a4", REPORTED, outcome=day(2), extract=day(5)),
    case("NA", "a5", REPORTED, extract=day(5)),
]
# Times 0*, 3*, 3*, 2, 5 (* withdrawal):
#   day 0: at risk 5, 1 withdraws: S = 4/5
#   day 1, 2: at risk 4 (3, 3, 2, 5); no withdrawal (day 2 is a censoring)
#   day 3: at risk 3 (3, 3, 5), 2 withdraw: S = 4/5 * 1/3 = 4/15
#   day 4, 5: at risk 1; day 6 on: at risk 0, share null (longest time 5).
NA_SHARE = [Fraction(1, 5)] * 3 + [Fraction(11, 15)] * 3 + [None]
NA_AT_RISK = [5, 4, 4, 3, 1, 1, 0]
NA_WITHDRAWALS = [1, 1, 1, 3, 3, 3, 3]

# Force NB, two cases reported 1 Feb 2024 (Q1): a withdrawal on day 1, one open censored at
# D_T = 5 Feb (day 4).
NB_START = date(2024, 2, 1)
NB_CASES = [
    case("NB", "b1", NB_START, withdrawn=day(1, NB_START), extract=day(4, NB_START)),
    case("NB", "b2", NB_START, extract=day(4, NB_START)),
]
# ALL pools the seven times 0*, 3*, 3*, 2, 5, 1*, 4:
#   day 0: at risk 7, 1 withdraws: S = 6/7
#   day 1: at risk 6 (3, 3, 2, 5, 1, 4), 1 withdraws: S = 6/7 * 5/6 = 5/7
#   day 2: at risk 5; day 3: at risk 4 (3, 3, 5, 4), 2 withdraw: S = 5/7 * 2/4 = 5/14
#   day 4: at risk 2; day 5: at risk 1; day 6: 0 and null.
ALL_SHARE = [Fraction(1, 7), Fraction(2, 7), Fraction(2, 7)] + [Fraction(9, 14)] * 3 + [None]
ALL_AT_RISK = [7, 6, 5, 4, 2, 1, 0]

RANGES = [("NA", Q1, date(2024, 6, 1)), ("NB", Q1, date(2024, 6, 1))]


def assert_share(rows, expected):
    for row, share in zip(rows, expected, strict=False):
        if share is None:
            assert row["withdrawn_share"] is None, row
        else:
            assert row["withdrawn_share"] == pytest.approx(float(share), abs=1e-12), row


def test_hand_worked_quarter(tmp_path):
    out = run_curve(tmp_path, NA_CASES, RANGES)
    rows = out[("NA", Q1)]
    assert [r["day"] for r in rows] == list(range(366))
    assert {r["cases"] for r in rows} == {5}
    assert_share(rows[:7], NA_SHARE)
    assert [r["at_risk"] for r in rows[:7]] == NA_AT_RISK
    assert [r["withdrawals_to_date"] for r in rows[:7]] == NA_WITHDRAWALS
    # Beyond the longest time (5): nobody observed.
    assert all(r["withdrawn_share"] is None and r["at_risk"] == 0 for r in rows[6:])


def test_all_pools_two_forces(tmp_path):
    out = run_curve(tmp_path, NA_CASES + NB_CASES, RANGES)
    assert set(out) == {("NA", Q1), ("NB", Q1), ("ALL", Q1)}
    assert_share(out[("NA", Q1)][:7], NA_SHARE)
    assert [r["at_risk"] for r in out[("NA", Q1)][:7]] == NA_AT_RISK
    nb = out[("NB", Q1)]
    # NB alone: day 0 at risk 2, none; day 1 at risk 2, 1 withdraws: S = 1/2; days 2-4 at risk 1.
    assert_share(nb[:6], [0, Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), None])
    assert [r["at_risk"] for r in nb[:6]] == [2, 2, 1, 1, 1, 0]
    pooled = out[("ALL", Q1)]
    assert {r["cases"] for r in pooled} == {7}
    assert_share(pooled[:7], ALL_SHARE)
    assert [r["at_risk"] for r in pooled[:7]] == ALL_AT_RISK
    assert [r["withdrawals_to_date"] for r in pooled[:7]] == [1, 2, 2, 4, 4, 4, 4]
    assert all(r["withdrawn_share"] is None for r in pooled[6:])


def test_quarter_of_report(tmp_path):
    # 31 March is in Q1, 1 April in Q2; the Q1 case withdraws on 2 April (day 2), the Q2 one on
    # its report day.
    cases = [
        case("NA", "q1", date(2024, 3, 31), withdrawn=date(2024, 4, 2)),
        case("NA", "q2", date(2024, 4, 1), withdrawn=date(2024, 4, 1)),
    ]
    out = run_curve(tmp_path, cases, RANGES)
    assert set(out) == {("NA", Q1), ("NA", Q2), ("ALL", Q1), ("ALL", Q2)}
    q1, q2 = out[("NA", Q1)], out[("NA", Q2)]
    assert q1[0]["cases"] == 1 and q2[0]["cases"] == 1
    assert_share(q1[:4], [0, 0, 1, None])
    assert [r["at_risk"] for r in q1[:4]] == [1, 1, 1, 0]
    assert_share(q2[:2], [1, None])
    assert [r["at_risk"] for r in q2[:2]] == [1, 0]


def test_cases_outside_the_force_range_are_excluded(tmp_path):
    cases = [
        *NA_CASES,
        case("NA", "early", date(2023, 12, 31), withdrawn=date(2024, 1, 1)),  # before first_period
        case("NA", "late", date(2024, 7, 1), withdrawn=date(2024, 7, 1), extract=date(2024, 7, 2)),  # after last
        case("NC", "unranged", REPORTED, withdrawn=REPORTED),  # force without a range
    ]
    out = run_curve(tmp_path, cases, [("NA", Q1, date(2024, 6, 1))])
    assert set(out) == {("NA", Q1), ("ALL", Q1)}
    for key in out:
        rows = out[key]
        assert {r["cases"] for r in rows} == {5}
        assert_share(rows[:7], NA_SHARE)
        assert [r["at_risk"] for r in rows[:7]] == NA_AT_RISK


def test_day_365_is_the_last_day(tmp_path):
    cases = [case("NA", "long", REPORTED, outcome=day(500), extract=day(600))]
    rows = run_curve(tmp_path, cases, RANGES)[("NA", Q1)]
    assert len(rows) == 366 and rows[-1]["day"] == 365
    assert all(r["withdrawn_share"] == 0 and r["at_risk"] == 1 for r in rows)


# Random cases: (days observed, is a withdrawal, censored by an outcome (else open at D_T)).
CASES = st.lists(
    st.tuples(st.integers(0, 400), st.booleans(), st.booleans()),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None)
@given(CASES)
def test_matches_lifelines_kaplan_meier(observations):
    from lifelines import KaplanMeierFitter

    start = date(2024, 2, 15)
    cases = []
    for i, (days, withdrawn, closed) in enumerate(observations):
        end = start + timedelta(days=days)
        if withdrawn:
            cases.append(case("NA", f"c{i}", start, withdrawn=end, extract=start + timedelta(days=401)))
        elif closed:
            cases.append(case("NA", f"c{i}", start, outcome=end, extract=start + timedelta(days=401)))
        else:
            cases.append(case("NA", f"c{i}", start, extract=end))
    with tempfile.TemporaryDirectory() as directory:
        out = run_curve(Path(directory), cases, [("NA", date(2024, 2, 1), date(2025, 12, 1))])
    rows = out[("NA", Q1)]
    assert out[("ALL", Q1)] == [{**r, "force_code": "ALL"} for r in rows]

    durations = [d for d, _, _ in observations]
    events = [w for _, w, _ in observations]
    fitter = KaplanMeierFitter().fit(durations, event_observed=events)
    longest = max(durations)
    days = list(range(366))
    survival = fitter.survival_function_at_times(days).to_numpy()
    for d, row in zip(days, rows, strict=True):
        assert row["day"] == d
        assert row["cases"] == len(observations)
        assert row["at_risk"] == len([t for t in durations if t >= d])
        assert row["withdrawals_to_date"] == len([t for t, w in zip(durations, events, strict=True) if w and t <= d])
        if d <= longest:
            assert row["withdrawn_share"] == pytest.approx(1 - survival[d], abs=1e-9)
        else:
            assert row["withdrawn_share"] is None

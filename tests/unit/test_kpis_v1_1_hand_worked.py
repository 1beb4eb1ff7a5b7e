"""Catalogue v1.1 on a tiny hand-made inbox: the provisional flag at its boundaries and the two
fixed-follow-up KPIs, with every expected value worked out by hand.

Settling: force f's month M is provisional when D_T(f) <= last day of M + P; ALL's month M when it
is provisional for at least one force whose published range includes M.

Force AAA: T = 2026-06-29T12:00Z, D_T 2026-06-29 (D_T - 90 = 2026-03-31, D_T - 365 = 2025-06-29);
  publishes May 2025 - Jun 2026.
Force BBB: T = 2026-06-30T12:00Z, D_T 2026-06-30, one day later (D_T - 90 = 2026-04-01, D_T - 365
  = 2025-06-30); publishes Jun 2025 - Jun 2026.
Force OLD: an old extract, T = 2025-06-30T12:00Z, D_T 2025-06-30; publishes Jan - Jun 2025, and
  every month of it is still settling for the withdrawal KPIs.

The exact boundaries: 2025-12-31 + 180 days = 2026-06-29 (withdrawal_rate, December 2025),
2026-03-31 + 90 days = 2026-06-29 (withdrawal_within_90d_of_report, March 2026) and
2025-06-30 + 365 days = 2026-06-30 (charged_within_365d_of_report, June 2025).
"""

import json

import duckdb
import pytest

from tests.conftest import run_pipeline, wilson, write_extract

AAA_T, BBB_T, OLD_T = "2026-06-29T12:00:00Z", "2026-06-30T12:00:00Z", "2025-06-30T12:00:00Z"


def case(case_id, reported, offence="19C", sex="female", **fields):
    return dict(case_id=case_id, offence_code=offence, reported_date=reported, victim_sex=sex, **fields)


AAA_CASES = [
    # Charged exactly 365 days after report (2025-05-10 -> 2026-05-10): inside the year.
    case("A1", "2025-05-10", outcome_code="1", outcome_date="2026-05-10"),
    # Charged (1A) 366 days after report: outside the year (but still charged for charge_rate).
    case("A2", "2025-05-20", offence="20A", outcome_code="1A", outcome_date="2026-05-21"),
    # Reported on D_T - 365 (in the 365-day cohort), charged two days later.
    case("A3", "2025-06-29", sex="male", outcome_code="1", outcome_date="2025-07-01"),
    # Reported on D_T - 364: too recent for AAA's 365-day cohort.
    case("A4", "2025-06-30", outcome_code="15", outcome_date="2025-08-01"),
    case("A10", "2025-11-10"),
    # Withdrew exactly 90 days after report (2025-12-15 -> 2026-03-15).
    case("A5", "2025-12-15", victim_withdrawal_date="2026-03-15"),
    # Withdrew 91 days after report: a withdrawal, but not within 90 days.
    case("A6", "2025-12-20", offence="20A", victim_withdrawal_date="2026-03-21"),
    case("A7", "2025-12-31", sex="male"),
    # Reported on D_T - 90 (in the 90-day cohort) and withdrew the same day.
    case("A8", "2026-03-31", victim_withdrawal_date="2026-03-31"),
    # Reported on D_T - 89: too recent for the 90-day cohort.
    case("A9", "2026-04-01", victim_withdrawal_date="2026-04-02"),
]
BBB_CASES = [
    # Reported on D_T - 365 and charged exactly 365 days later, on D_T.
    case("B1", "2025-06-30", outcome_code="1", outcome_date="2026-06-30"),
    case("B2", "2025-12-10", victim_withdrawal_date="2025-12-12", outcome_code="16", outcome_date="2026-01-05"),
    # Withdrew exactly 90 days after report (2026-03-05 -> 2026-06-03).
    case("B3", "2026-03-05", offence="20A", victim_withdrawal_date="2026-06-03"),
    case("B4", "2026-04-01"),  # reported on D_T - 90
    case("B5", "2026-06-30"),  # reported on D_T
]
OLD_CASES = [
    case("O1", "2025-01-15", victim_withdrawal_date="2025-01-20"),
    case("O2", "2025-06-10"),
]


@pytest.fixture(scope="module")
def version(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("v1_1")
    inbox = tmp / "inbox"
    write_extract(inbox, "AAA", AAA_T, AAA_CASES)
    write_extract(inbox, "BBB", BBB_T, BBB_CASES)
    write_extract(inbox, "OLD", OLD_T, OLD_CASES)
    result, out, _ = run_pipeline(inbox, tmp)
    assert result.success
    return out / json.loads((out / "latest.json").read_text())["path"]


@pytest.fixture(scope="module")
def rows(version):
    """{(force, 'YYYY-MM', kpi_id, breakdown): (numerator, denominator, value, ci_low, ci_high, provisional)}."""
    table = duckdb.sql(f"select * from read_parquet('{version / 'kpi_monthly.parquet'}')")
    assert table.columns == [
        "force_code", "period", "kpi_id", "breakdown", "numerator", "denominator", "value", "ci_low", "ci_high",
        "provisional",
    ]  # fmt: skip
    return {(r[0], r[1].isoformat()[:7], r[2], r[3]): r[4:] for r in table.fetchall()}


def proportion(rows, force, month, kpi_id, breakdown="all"):
    """(numerator, denominator, provisional) of a proportion row, after checking its value and interval."""
    numerator, denominator, value, low, high, provisional = rows[(force, month, kpi_id, breakdown)]
    assert value == pytest.approx(numerator / denominator, abs=1e-12)
    assert (low, high) == pytest.approx(wilson(numerator, denominator), abs=1e-12)
    return numerator, denominator, provisional


def months_of(rows, force, kpi_id, breakdown="all"):
    return sorted(m for f, m, k, b in rows if (f, k, b) == (force, kpi_id, breakdown))


def test_withdrawal_rate_settles_180_days_after_the_month(rows):
    kpi = "withdrawal_rate"
    # AAA: D_T 2026-06-29 = 2025-12-31 + 180: December is still provisional on that very day.
    assert proportion(rows, "AAA", "2025-12", kpi) == (2, 3, True)
    assert proportion(rows, "AAA", "2025-11", kpi) == (0, 1, False)  # 2025-11-30 + 180 = 2026-05-29
    assert proportion(rows, "AAA", "2025-05", kpi) == (0, 2, False)
    # BBB's extract is one day later (2026-06-30 > 2026-06-29): its December has settled.
    assert proportion(rows, "BBB", "2025-12", kpi) == (1, 1, False)
    assert proportion(rows, "BBB", "2026-06", kpi) == (0, 1, True)
    # OLD (D_T 2025-06-30): January ends 2025-01-31, + 180 = 2025-07-30, still ahead of D_T.
    assert proportion(rows, "OLD", "2025-01", kpi) == (1, 1, True)


def test_all_is_provisional_when_one_force_whose_range_holds_the_month_is(rows):
    kpi = "withdrawal_rate"
    # December 2025: A5, A6 withdrew, A7 not; B2 withdrew. Provisional because AAA is, although BBB
    # has settled.
    assert proportion(rows, "ALL", "2025-12", kpi) == (3, 4, True)
    # May 2025: only AAA has cases (A1, A2; settled), but OLD's range (Jan-Jun 2025) holds May and
    # OLD's May is provisional (2025-05-31 + 180 > 2025-06-30), though OLD has no May row.
    assert ("OLD", "2025-05", kpi, "all") not in rows
    assert proportion(rows, "ALL", "2025-05", kpi) == (0, 2, True)
    # November 2025: by the formula OLD would still be settling, but November is outside OLD's range;
    # AAA (2025-11-30 + 180 = 2026-05-29) and BBB have settled.
    assert proportion(rows, "ALL", "2025-11", kpi) == (0, 1, False)


def test_withdrawal_within_90d_of_report(rows):
    kpi = "withdrawal_within_90d_of_report"
    # AAA December: A5 (exactly 90 days) counts, A6 (91 days) and A7 (no withdrawal) do not.
    # Settled: 2025-12-31 + 90 = 2026-03-31.
    assert proportion(rows, "AAA", "2025-12", kpi) == (1, 3, False)
    # March: A8, reported on D_T - 90, withdrew on the day. 2026-03-31 + 90 = 2026-06-29 = D_T:
    # provisional. A9 (April, D_T - 89) is not in any cohort: AAA has no April row.
    assert proportion(rows, "AAA", "2026-03", kpi) == (1, 1, True)
    assert "2026-04" not in months_of(rows, "AAA", kpi)
    assert months_of(rows, "AAA", kpi) == ["2025-05", "2025-06", "2025-11", "2025-12", "2026-03"]
    # BBB: B3 exactly 90 days; March settled one day later than AAA's. B4 (reported on D_T - 90) is
    # in April's cohort; B5 (on D_T) is not.
    assert proportion(rows, "BBB", "2026-03", kpi) == (1, 1, False)
    assert proportion(rows, "BBB", "2026-04", kpi) == (0, 1, True)
    assert "2026-06" not in months_of(rows, "BBB", kpi)
    # OLD: O1 (withdrew after 5 days) is in; O2 (2025-06-10 > D_T - 90 = 2025-04-01) is not.
    assert proportion(rows, "OLD", "2025-01", kpi) == (1, 1, False)  # 2025-01-31 + 90 = 2025-05-01
    # ALL March: A8 and B3; provisional because AAA is.
    assert proportion(rows, "ALL", "2026-03", kpi) == (2, 2, True)
    assert proportion(rows, "ALL", "2025-12", kpi) == (2, 4, False)  # A5 and B2 of A5, A6, A7, B2
    assert proportion(rows, "ALL", "2025-06", kpi) == (0, 3, True)  # A3, A4, B1; OLD's June is settling


def test_charged_within_365d_of_report(rows):
    kpi = "charged_within_365d_of_report"
    # AAA May: A1 charged after exactly 365 days counts; A2 (1A after 366 days) does not.
    # Settled: 2025-05-31 + 365 = 2026-05-31.
    assert proportion(rows, "AAA", "2025-05", kpi) == (1, 2, False)
    # AAA June: only A3 (reported on D_T - 365); A4 (D_T - 364) is too recent. Provisional:
    # 2025-06-30 + 365 = 2026-06-30 is after AAA's D_T.
    assert proportion(rows, "AAA", "2025-06", kpi) == (1, 1, True)
    assert months_of(rows, "AAA", kpi) == ["2025-05", "2025-06"]
    # BBB June: B1, reported on D_T - 365, charged on D_T; D_T = 2025-06-30 + 365 exactly: provisional.
    assert proportion(rows, "BBB", "2025-06", kpi) == (1, 1, True)
    assert months_of(rows, "OLD", kpi) == []  # nothing reported by 2024-06-30
    assert proportion(rows, "ALL", "2025-06", kpi) == (2, 2, True)
    # ALL May: AAA's May has settled, but OLD's range holds May and OLD is still settling.
    assert proportion(rows, "ALL", "2025-05", kpi) == (1, 2, True)
    # charge_rate counts both charges of May, whatever their delay.
    assert proportion(rows, "AAA", "2025-05", "charge_rate") == (2, 2, False)


def test_breakdown_rows_take_the_provisional_flag_of_their_all_row(rows):
    kpi = "charged_within_365d_of_report"
    assert proportion(rows, "AAA", "2025-05", kpi, "offence_group=rape") == (1, 1, False)  # A1
    assert proportion(rows, "AAA", "2025-05", kpi, "offence_group=other_sexual_offence") == (0, 1, False)  # A2
    assert proportion(rows, "AAA", "2025-06", kpi, "victim_sex=male") == (1, 1, True)  # A3
    assert proportion(rows, "ALL", "2025-05", kpi, "offence_group=rape") == (1, 1, True)
    assert ("AAA", "2025-06", kpi, "victim_sex=female") not in rows  # A4 is not in the cohort
    kpi = "withdrawal_within_90d_of_report"
    assert proportion(rows, "AAA", "2025-12", kpi, "offence_group=rape") == (1, 2, False)  # A5, A7
    assert proportion(rows, "AAA", "2025-12", kpi, "offence_group=other_sexual_offence") == (0, 1, False)  # A6
    assert proportion(rows, "ALL", "2026-03", kpi, "offence_group=other_sexual_offence") == (1, 1, True)  # B3
    # Every breakdown row carries its all row's flag.
    for (force, month, kpi_id, breakdown), values in rows.items():
        if breakdown != "all":
            assert values[5] == rows[(force, month, kpi_id, "all")][5], (force, month, kpi_id, breakdown)


def test_a_count_is_provisional_only_in_the_month_of_d_t(rows):
    def charges(force, month):
        numerator, denominator, value, _, _, provisional = rows[(force, month, "charges", "all")]
        assert numerator == value and denominator is None
        return value, provisional

    # P = 0: the month of D_T is not over. AAA charged A1 and A2 in May 2026, A3 in July 2025.
    assert charges("AAA", "2026-05") == (2, False)
    assert charges("AAA", "2026-06") == (0, True)
    assert charges("AAA", "2025-07") == (1, False)
    # BBB's D_T is the last day of June: June is still provisional (the snapshot was taken during it).
    assert charges("BBB", "2026-06") == (1, True)
    assert charges("OLD", "2025-06") == (0, True)
    assert charges("OLD", "2025-05") == (0, False)
    # ALL June 2025 is provisional because it is OLD's month of D_T; May 2025 is settled everywhere.
    assert charges("ALL", "2025-06") == (0, True)
    assert charges("ALL", "2025-05") == (0, False)
    assert charges("ALL", "2026-06") == (1, True)
    assert charges("ALL", "2025-07") == (1, False)


def test_the_export_labels_provisional_rows(version):
    export = {
        (r[0], r[1].isoformat()[:7], r[2], r[3]): r[4:]
        for r in duckdb.sql(
            f"select force_code, period, kpi_id, breakdown, status, provisional "
            f"from read_parquet('{version / 'kpi_export.parquet'}')"
        ).fetchall()
    }
    # Suppressed (denominator 3 < 10) and still labelled provisional.
    assert export[("AAA", "2025-12", "withdrawal_rate", "all")] == ("suppressed", True)
    assert export[("AAA", "2025-11", "withdrawal_rate", "all")] == ("suppressed", False)
    assert export[("ALL", "2025-06", "charges", "all")] == ("published", True)
    assert export[("AAA", "2026-05", "charges", "all")] == ("published", False)

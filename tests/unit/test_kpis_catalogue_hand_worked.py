"""The newer catalogue KPIs on a tiny hand-made inbox, with expected values worked out by hand.

Force AAA: T = 2026-06-15T21:30Z (22:30 BST), D_T = 2026-06-15; cases reported Jan-Jun 2026, so
AAA publishes Jan-Jun. It supplies workforce.csv.
Force BBB: T = 2026-04-30T23:30Z, which is 00:30 BST on 1 May: D_T = 2026-05-01, so BBB publishes
Jan-May and its May month end E is 1 May. It has no workforce.csv.
ALL publishes Jan-Jun; BBB contributes only up to May.

Months are used by theme, so each KPI's numbers can be followed case by case:
  Jan  J1-J6 (AAA), K1-K2 (BBB): breakdowns, completeness, support stance, suspects; all closed in Feb.
  Mar  P01-P16 (officer O16), Q01-Q15 (officer O15), R1 (O9, closed on E): officer load,
       suspect devices, CPS referrals, early advice. All P/Q cases withdrew on the day of report
       (so they stay open but never enter victim_updated_within_28d). K3 (BBB, officer O16).
  Apr/May  U1-U9 (AAA), K4-K5 (BBB): victim updates.
  Jun  I1-I5 (AAA): ISVA referrals.
"""

import json
from fractions import Fraction

import duckdb
import pytest

from tests.conftest import latest_kpis, run_pipeline, wilson, write_extract

AAA_T = "2026-06-15T21:30:00Z"  # D_T 2026-06-15, D_T - 7 = 2026-06-08
BBB_T = "2026-04-30T23:30:00Z"  # 00:30 BST 1 May: D_T 2026-05-01, D_T - 7 = 2026-04-24

# --- January: dimensions and completeness ---------------------------------------------------
JANUARY = [
    # rape; age 15 (band 0-15); female; DA true; supports; withdrew after 5 days; outcome 16 in Feb.
    # Suspect S1 (also on U9, an April AAA case: a repeat suspect); every suspect field filled.
    dict(case_id="J1", offence_code="19C", reported_date="2026-01-05", victim_age=15, victim_sex="female",
         victim_ethnicity="white", relationship="intimate", domestic_abuse="true",
         victim_support_at_report="supports", victim_withdrawal_date="2026-01-10",
         suspect_id="S1", suspect_age=30, suspect_sex="male", suspect_ethnicity="white",
         cps_referral_date="2025-12-20",  # before AAA's first month: never published
         outcome_code="16", outcome_date="2026-02-02"),
    # rape; age 16 (16-17); sex blank (unknown); ethnicity `unknown`; relationship and DA blank;
    # does_not_support; withdrew after 14 days; outcome 16. Suspect S2 (BBB also has an S2:
    # a different person). Suspect age blank, sex `unknown`, ethnicity blank.
    dict(case_id="J2", offence_code="19C", reported_date="2026-01-06", victim_age=16,
         victim_ethnicity="unknown", victim_support_at_report="does_not_support",
         victim_withdrawal_date="2026-01-20", suspect_id="S2", suspect_sex="unknown",
         outcome_code="16", outcome_date="2026-02-03"),
    # other offence (20); age 17 (16-17); male; DA false; stance `unknown`; no withdrawal; charged.
    # No suspect_id, so its suspect fields do not count for completeness.
    dict(case_id="J3", offence_code="20", reported_date="2026-01-07", victim_age=17, victim_sex="male",
         victim_ethnicity="black", relationship="family", domestic_abuse="false",
         victim_support_at_report="unknown", suspect_age=40, suspect_sex="male", suspect_ethnicity="black",
         outcome_code="1", outcome_date="2026-02-04"),
    # other offence (17A); age 18 (18-24); female; DA false; stance blank; no withdrawal; outcome 18.
    dict(case_id="J4", offence_code="17A", reported_date="2026-01-08", victim_age=18, victim_sex="female",
         victim_ethnicity="asian", relationship="stranger", domestic_abuse="false",
         outcome_code="18", outcome_date="2026-02-05"),
    # rape (19E); age 0 (present; band 0-15); female; DA true; supports; withdrew on the day; outcome 16.
    dict(case_id="J5", offence_code="19E", reported_date="2026-01-09", victim_age=0, victim_sex="female",
         victim_ethnicity="white", relationship="acquaintance", domestic_abuse="true",
         victim_support_at_report="supports", victim_withdrawal_date="2026-01-09",
         outcome_code="16", outcome_date="2026-02-06"),
    # rape; age blank (unknown band); female; ethnicity blank; relationship `unknown`; DA true;
    # does_not_support; no withdrawal; outcome 15. Suspect S3 (only here): age 22, sex blank,
    # ethnicity `unknown`.
    dict(case_id="J6", offence_code="19C", reported_date="2026-01-31", victim_sex="female",
         relationship="unknown", domestic_abuse="true", victim_support_at_report="does_not_support",
         suspect_id="S3", suspect_age=22, suspect_ethnicity="unknown",
         outcome_code="15", outcome_date="2026-02-10"),
]  # fmt: skip


# --- March: officer load, devices, CPS referrals, early advice ------------------------------
def officer_case(prefix: str, i: int, officer: str, **extra) -> dict:
    """Reported on day i of March; withdrew that day (still open, never in victim updates)."""
    day = f"2026-03-{i:02d}"
    return dict(case_id=f"{prefix}{i:02d}", offence_code="19C", reported_date=day, officer_id=officer,
                victim_withdrawal_date=day, **extra)  # fmt: skip


P_EXTRA = {
    1: dict(cps_referral_date="2026-03-20"),
    2: dict(cps_referral_date="2026-03-25"),
    # early advice received in April: 4, 10, 26 and 7 days after the request.
    3: dict(early_advice_requested_date="2026-04-01", early_advice_received_date="2026-04-05"),
    4: dict(early_advice_requested_date="2026-04-02", early_advice_received_date="2026-04-12"),
    5: dict(early_advice_requested_date="2026-03-25", early_advice_received_date="2026-04-20"),
    6: dict(early_advice_requested_date="2026-04-10", early_advice_received_date="2026-04-17"),
    # P16 closes on 10 April: O16 has 16 open cases at 31 March, 15 from April on.
    16: dict(outcome_code="18", outcome_date="2026-04-10"),
}
Q_EXTRA = {
    1: dict(cps_referral_date="2026-05-10"),
    3: dict(early_advice_received_date="2026-04-08"),  # no request date: not in the median
    4: dict(early_advice_requested_date="2026-05-01", early_advice_received_date="2026-05-04"),  # 3 days
    5: dict(early_advice_received_date="2026-06-01"),  # no request date: June has no row
}
MARCH = [
    *(officer_case("P", i, "O16", **P_EXTRA.get(i, {})) for i in range(1, 17)),  # P01-P16: 1-16 March
    *(officer_case("Q", i, "O15", **Q_EXTRA.get(i, {})) for i in range(1, 16)),  # Q01-Q15: 1-15 March
    # O9's only case closes on 31 March itself: not open at E = 31 March, so O9 is not counted.
    dict(case_id="R1", offence_code="19C", reported_date="2026-03-05", officer_id="O9",
         outcome_code="18", outcome_date="2026-03-31"),
]  # fmt: skip

# --- April/May: victim updates. AAA May E = 31 May, E-28 = 3 May; June E = D_T = 15 June, E-28 = 18 May.
UPDATES = [
    # reported exactly E-28 for May: eligible in May (update on 3 May = E-28 does not count) and June
    # (update on 15 June = E counts).
    dict(case_id="U1", offence_code="19C", reported_date="2026-05-03"),
    # update on 4 May = E-27: counts in May; not in June's window (18 May, 15 June]. Suspect S9 (once).
    dict(case_id="U2", offence_code="19C", reported_date="2026-04-20", suspect_id="S9"),
    # update on 31 May = E: counts in May and in June.
    dict(case_id="U3", offence_code="19C", reported_date="2026-04-21"),
    # reported 4 May = E-27: not eligible in May; eligible in June, its updates (10 May, 18 May = E-28) too old.
    dict(case_id="U4", offence_code="19C", reported_date="2026-05-04"),
    # withdrew on 31 May = E: out of May (and June).
    dict(case_id="U5", offence_code="19C", reported_date="2026-04-22", victim_withdrawal_date="2026-05-31"),
    # closed on 31 May = E: not open at May's E.
    dict(case_id="U6", offence_code="19C", reported_date="2026-04-23", outcome_code="18",
         outcome_date="2026-05-31"),
    # only needs_assessment / nfa_explained / other contacts: eligible, never updated.
    dict(case_id="U7", offence_code="19C", reported_date="2026-04-24"),
    # withdrew 1 June (after May's E): in May with an update on 20 May; out of June.
    dict(case_id="U8", offence_code="19C", reported_date="2026-04-25", victim_withdrawal_date="2026-06-01"),
    # closed 2 June: open at May's E with an update on 5 May; closed by June's E. Suspect S1 (repeat of J1).
    dict(case_id="U9", offence_code="19C", reported_date="2026-04-26", suspect_id="S1", outcome_code="16",
         outcome_date="2026-06-02"),
]  # fmt: skip

# --- June: ISVA referrals. D_T - 7 = 8 June.
JUNE = [
    dict(case_id="I1", offence_code="19C", reported_date="2026-06-01", isva_referral_date="2026-06-08"),  # 7 days
    dict(case_id="I2", offence_code="19C", reported_date="2026-06-01", isva_referral_date="2026-06-09"),  # 8 days
    dict(case_id="I3", offence_code="19C", reported_date="2026-06-05", isva_referral_date="2026-05-20"),  # before
    dict(case_id="I4", offence_code="19C", reported_date="2026-06-08"),  # reported D_T-7: eligible, no referral
    dict(case_id="I5", offence_code="19C", reported_date="2026-06-09", isva_referral_date="2026-06-09"),  # D_T-6
]  # fmt: skip

AAA_CASES = JANUARY + MARCH + UPDATES + JUNE

AAA_DEVICES = [
    # March suspect devices (GMT): examined after 2 days, 4.5 days (108 h), never (censored), 10 days.
    dict(device_id="SD1", case_id="P01", owner="suspect", seized_at="2026-03-01T00:00:00Z",
         examined_at="2026-03-03T00:00:00Z"),
    dict(device_id="SD2", case_id="P02", owner="suspect", seized_at="2026-03-02T00:00:00Z",
         examined_at="2026-03-06T12:00:00Z"),
    dict(device_id="SD3", case_id="P03", owner="suspect", seized_at="2026-03-03T00:00:00Z"),
    dict(device_id="SD4", case_id="P04", owner="suspect", seized_at="2026-03-04T00:00:00Z",
         examined_at="2026-03-14T00:00:00Z"),
    # a victim's device, examined after 1 day: not a suspect device.
    dict(device_id="VD1", case_id="P05", owner="victim", seized_at="2026-03-05T00:00:00Z",
         examined_at="2026-03-06T00:00:00Z"),
    # April: examined after 1 day; two never examined (censored at T, ~2 months later).
    dict(device_id="SD5", case_id="P06", owner="suspect", seized_at="2026-04-10T00:00:00Z",
         examined_at="2026-04-11T00:00:00Z"),
    dict(device_id="SD6", case_id="P07", owner="suspect", seized_at="2026-04-10T00:00:00Z"),
    dict(device_id="SD7", case_id="P08", owner="suspect", seized_at="2026-04-12T00:00:00Z"),
    # seized 23:30 UTC on 30 April = 00:30 BST on 1 May: a May seizure; examined 36 h later (1.5 days).
    dict(device_id="SD8", case_id="U2", owner="suspect", seized_at="2026-04-30T23:30:00Z",
         examined_at="2026-05-02T11:30:00Z"),
    # June: examined after 3.5 days (84 h) and 1.25 days (30 h); one unexamined, censored at T after 2 days.
    dict(device_id="SD11", case_id="I1", owner="suspect", seized_at="2026-06-01T00:00:00Z",
         examined_at="2026-06-04T12:00:00Z"),
    dict(device_id="SD10", case_id="I2", owner="suspect", seized_at="2026-06-05T00:00:00Z",
         examined_at="2026-06-06T06:00:00Z"),
    dict(device_id="SD9", case_id="I3", owner="suspect", seized_at="2026-06-13T21:30:00Z"),
]  # fmt: skip

AAA_CONTACTS = [
    dict(case_id="U1", contact_date="2026-05-03", contact_type="update"),
    dict(case_id="U1", contact_date="2026-06-15", contact_type="update"),
    dict(case_id="U2", contact_date="2026-05-04", contact_type="update"),
    dict(case_id="U3", contact_date="2026-05-31", contact_type="update"),
    dict(case_id="U4", contact_date="2026-05-10", contact_type="update"),
    dict(case_id="U4", contact_date="2026-05-18", contact_type="update"),
    dict(case_id="U5", contact_date="2026-05-10", contact_type="update"),
    dict(case_id="U6", contact_date="2026-05-10", contact_type="update"),
    dict(case_id="U7", contact_date="2026-05-10", contact_type="needs_assessment"),
    dict(case_id="U7", contact_date="2026-05-11", contact_type="nfa_explained"),
    dict(case_id="U7", contact_date="2026-05-12", contact_type="other"),
    dict(case_id="U8", contact_date="2026-05-20", contact_type="update"),
    dict(case_id="U9", contact_date="2026-05-05", contact_type="update"),
]

AAA_WORKFORCE = [
    dict(officer_id="O16", month="2025-12", accredited="true", contracted_days=20, sickness_days=1),  # before range
    dict(officer_id="O16", month="2026-03", accredited="true", contracted_days=20, sickness_days=2),
    dict(officer_id="O15", month="2026-03", accredited="false", contracted_days=20, sickness_days=0),
    dict(officer_id="O7", month="2026-03", accredited="false", contracted_days=10.5, sickness_days=1.5),
    dict(officer_id="O16", month="2026-04", accredited="true", contracted_days=20, sickness_days=0.5),
]  # fmt: skip

BBB_CASES = [
    # rape; age 16 (16-17); female; DA blank; withdrew next day; outcome 16 in Feb. Suspect S2 (once in BBB).
    dict(case_id="K1", offence_code="19C", reported_date="2026-01-12", victim_age=16, victim_sex="female",
         victim_withdrawal_date="2026-01-13", suspect_id="S2", outcome_code="16", outcome_date="2026-02-20"),
    # other offence (30); age 25 (25-34); sex blank; DA false; outcome 16 in Feb.
    dict(case_id="K2", offence_code="30", reported_date="2026-01-15", victim_age=25, domestic_abuse="false",
         outcome_code="16", outcome_date="2026-02-21"),
    # BBB's own officer "O16" (a different person from AAA's O16); withdrew on the day; open.
    dict(case_id="K3", offence_code="19C", reported_date="2026-03-10", officer_id="O16",
         victim_withdrawal_date="2026-03-10"),
    # reported 3 April = May E (1 May) - 28: eligible in May; updated on E. Does not support; CPS
    # referral and early advice (requested 20 April, received 1 May: 11 days) on D_T; no ISVA.
    dict(case_id="K4", offence_code="19C", reported_date="2026-04-03", victim_support_at_report="does_not_support",
         cps_referral_date="2026-05-01", early_advice_requested_date="2026-04-20",
         early_advice_received_date="2026-05-01"),
    # reported 4 April = E-27: not eligible in May. ISVA after exactly 7 days. Supports.
    dict(case_id="K5", offence_code="19C", reported_date="2026-04-04", victim_support_at_report="supports",
         isva_referral_date="2026-04-11"),
]  # fmt: skip

BBB_DEVICES = [
    # seized 23:00 BST on 30 April (April), examined 1 hour later: 1/24 day.
    dict(device_id="BD1", case_id="K4", owner="suspect", seized_at="2026-04-30T22:00:00Z",
         examined_at="2026-04-30T23:00:00Z"),
]  # fmt: skip
BBB_CONTACTS = [
    dict(case_id="K4", contact_date="2026-05-01", contact_type="update"),
    dict(case_id="K5", contact_date="2026-04-10", contact_type="update"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("catalogue")
    inbox = tmp / "inbox"
    write_extract(inbox, "AAA", AAA_T, AAA_CASES, AAA_DEVICES, AAA_CONTACTS, AAA_WORKFORCE)
    write_extract(inbox, "BBB", BBB_T, BBB_CASES, BBB_DEVICES, BBB_CONTACTS)  # no workforce.csv
    result, out, _ = run_pipeline(inbox, tmp)
    assert result.success
    version = out / json.loads((out / "latest.json").read_text())["path"]
    rows = duckdb.sql(f"select * from read_parquet('{version / 'kpi_monthly.parquet'}')").fetchall()
    breakdowns = {(r[0], r[1].isoformat(), r[2], r[3]): tuple(r[4:9]) for r in rows if r[3] != "all"}
    manifest = json.loads((version / "manifest.json").read_text())
    return latest_kpis(out), breakdowns, manifest


@pytest.fixture(scope="module")
def kpis(run):
    return run[0]


@pytest.fixture(scope="module")
def breakdowns(run):
    return run[1]


def key(force, month, kpi_id, year=2026):
    return (force, f"{year}-{month:02d}-01", kpi_id)


def check_proportion(row):
    numerator, denominator, value, low, high = row
    assert value == pytest.approx(numerator / denominator, abs=1e-12)
    assert (low, high) == pytest.approx(wilson(numerator, denominator), abs=1e-12)
    return numerator, denominator


def proportion(kpis, force, month, kpi_id):
    return check_proportion(kpis[key(force, month, kpi_id)])


def breakdown(rows, force, month, kpi_id, value):
    return check_proportion(rows[(*key(force, month, kpi_id), value)])


def ratio(kpis, force, month, kpi_id):
    numerator, denominator, value, low, high = kpis[key(force, month, kpi_id)]
    assert (low, high) == (None, None)
    assert value == pytest.approx(numerator / denominator, abs=1e-12)
    return numerator, denominator, value


def statistic(kpis, force, month, kpi_id):
    """(numerator, denominator, value) of a median row, whose ci columns are null."""
    numerator, denominator, value, low, high = kpis[key(force, month, kpi_id)]
    assert (low, high) == (None, None)
    return numerator, denominator, value


def absent(kpis, force, month, kpi_id, year=2026):
    return key(force, month, kpi_id, year) not in kpis


def test_both_extracts_used_with_no_quarantined_rows(run):
    manifest = run[2]
    assert sorted(e["force_code"] for e in manifest["extracts"]) == ["AAA", "BBB"]
    counts = {(e["force_code"], name): files for e in manifest["extracts"] for name, files in e["files"].items()}
    assert all(c["rows_quarantined"] == 0 for c in counts.values()), counts
    assert counts[("AAA", "cases")]["rows_accepted"] == 6 + 32 + 9 + 5
    assert counts[("AAA", "workforce")]["rows_accepted"] == 5
    assert counts[("BBB", "cases")]["rows_accepted"] == 5


def test_does_not_support_share_excludes_unknown_and_blank_stances(kpis):
    # Jan AAA: J1 supports, J2 does_not_support, J3 unknown (out), J4 blank (out), J5 supports,
    # J6 does_not_support: 2 of 4.
    assert proportion(kpis, "AAA", 1, "does_not_support_at_report_share") == (2, 4)
    # BBB Jan: both stances blank, zero denominator: no row. ALL Jan = AAA's.
    assert absent(kpis, "BBB", 1, "does_not_support_at_report_share")
    assert proportion(kpis, "ALL", 1, "does_not_support_at_report_share") == (2, 4)
    # Apr: BBB K4 does_not_support, K5 supports; AAA's April cases all blank.
    assert proportion(kpis, "BBB", 4, "does_not_support_at_report_share") == (1, 2)
    assert absent(kpis, "AAA", 4, "does_not_support_at_report_share")
    assert proportion(kpis, "ALL", 4, "does_not_support_at_report_share") == (1, 2)
    assert absent(kpis, "AAA", 3, "does_not_support_at_report_share")  # P/Q/R stances blank


def test_cps_referrals_are_counts_with_zero_months(kpis):
    # AAA: P01 20 Mar, P02 25 Mar, Q01 10 May; J1's 20 Dec 2025 is before AAA's first month.
    aaa = [kpis[key("AAA", m, "cps_referrals")] for m in range(1, 7)]
    assert [r[2] for r in aaa] == [0, 0, 2, 0, 1, 0]
    assert all(r[0] == r[2] and r[1] is None and r[3] is None and r[4] is None for r in aaa)
    assert absent(kpis, "AAA", 12, "cps_referrals", year=2025)
    assert absent(kpis, "ALL", 12, "cps_referrals", year=2025)
    assert absent(kpis, "AAA", 7, "cps_referrals")
    # BBB: K4 on D_T (1 May); BBB's range ends in May.
    assert [kpis[key("BBB", m, "cps_referrals")][2] for m in range(1, 6)] == [0, 0, 0, 0, 1]
    assert absent(kpis, "BBB", 6, "cps_referrals")
    assert [kpis[key("ALL", m, "cps_referrals")][2] for m in range(1, 7)] == [0, 0, 2, 0, 2, 0]
    assert absent(kpis, "ALL", 7, "cps_referrals")


def test_early_advice_median_needs_a_request_date(kpis):
    # April receipts with a request: 4, 10, 26, 7 days -> sorted 4, 7, 10, 26 -> (7 + 10) / 2.
    # Q03 (received 8 April, never requested) is left out.
    assert statistic(kpis, "AAA", 4, "early_advice_median_days") == (None, 4, 8.5)
    assert statistic(kpis, "AAA", 5, "early_advice_median_days") == (None, 1, 3.0)  # Q04
    assert absent(kpis, "AAA", 6, "early_advice_median_days")  # Q05 has no request date
    assert statistic(kpis, "BBB", 5, "early_advice_median_days") == (None, 1, 11.0)  # K4
    assert statistic(kpis, "ALL", 5, "early_advice_median_days") == (None, 2, 7.0)  # (3 + 11) / 2
    assert statistic(kpis, "ALL", 4, "early_advice_median_days") == (None, 4, 8.5)


def km_median(items):
    """Kaplan-Meier median with exact fractions: items are (duration, examined)."""
    survival = Fraction(1)
    for t in sorted({d for d, event in items if event}):
        at_risk = sum(1 for d, _ in items if d >= t)
        events = sum(1 for d, event in items if event and d == t)
        survival *= 1 - Fraction(events, at_risk)
        if survival <= Fraction(1, 2):
            return t
    return None


def test_suspect_device_kaplan_meier_median_in_days(kpis):
    # March: 2, 4.5, 10 days examined, SD3 censored at T (~104.9 days); VD1 is a victim device.
    # S(2) = 3/4, S(4.5) = 3/4 * 2/3 = 1/2 exactly -> median 4.5 days.
    assert km_median([(2, True), (4.5, True), (10, True), (104.9, False)]) == 4.5
    assert statistic(kpis, "AAA", 3, "suspect_device_median_days_to_examination") == (3, 4, 4.5)
    # April AAA: 1 day examined, two censored: S(1) = 2/3 and never falls further: no row.
    assert km_median([(1, True), (66.9, False), (64.9, False)]) is None
    assert absent(kpis, "AAA", 4, "suspect_device_median_days_to_examination")
    # May (London): SD8 seized 00:30 BST 1 May, examined 36 h later = 1.5 days.
    assert statistic(kpis, "AAA", 5, "suspect_device_median_days_to_examination") == (1, 1, 1.5)
    # June: 3.5 days, 1.25 days, SD9 censored at T after exactly 2 days.
    # S(1.25) = 2/3; at 3.5 only SD11 is at risk: S = 0 -> median 3.5.
    assert km_median([(3.5, True), (1.25, True), (2, False)]) == 3.5
    assert statistic(kpis, "AAA", 6, "suspect_device_median_days_to_examination") == (2, 3, 3.5)
    # BBB April: BD1 examined after 1 hour = 1/24 day.
    numerator, n, value = statistic(kpis, "BBB", 4, "suspect_device_median_days_to_examination")
    assert (numerator, n) == (1, 1) and value == pytest.approx(1 / 24, abs=1e-12)
    # ALL April pools BD1 (1/24, event) with SD5 (1), SD6, SD7 (censored at AAA's T):
    # S(1/24) = 3/4, S(1) = 3/4 * 2/3 = 1/2 -> median 1 day.
    assert km_median([(Fraction(1, 24), True), (1, True), (66.9, False), (64.9, False)]) == 1
    assert statistic(kpis, "ALL", 4, "suspect_device_median_days_to_examination") == (2, 4, 1.0)
    assert statistic(kpis, "ALL", 5, "suspect_device_median_days_to_examination") == (1, 1, 1.5)


def test_isva_referral_within_7_days(kpis):
    # June (D_T - 7 = 8 June): I1 7 days (yes), I2 8 days (no), I3 referred before the report (yes),
    # I4 reported 8 June (eligible, none), I5 reported 9 June (out of the denominator).
    assert proportion(kpis, "AAA", 6, "isva_referral_within_7d") == (2, 4)
    assert proportion(kpis, "ALL", 6, "isva_referral_within_7d") == (2, 4)  # BBB's range ends in May
    # BBB April: K4 none, K5 after exactly 7 days; both reported before 24 April.
    assert proportion(kpis, "BBB", 4, "isva_referral_within_7d") == (1, 2)
    # AAA April cohort: U2, U3, U5, U6, U7, U8, U9 - no referrals. ALL April: 1 of 9.
    assert proportion(kpis, "AAA", 4, "isva_referral_within_7d") == (0, 7)
    assert proportion(kpis, "ALL", 4, "isva_referral_within_7d") == (1, 9)
    assert proportion(kpis, "AAA", 1, "isva_referral_within_7d") == (0, 6)


def test_victim_updated_within_28_days(kpis):
    # AAA May, E = 31 May, window (3 May, 31 May]: eligible U1 (reported E-28), U2, U3, U7, U8
    # (withdrew after E), U9 (closed after E); not U4 (reported E-27), U5 (withdrew on E), U6
    # (closed on E), P/Q/K3 (withdrawn), J/R1 (closed). Updated: U2 (E-27), U3 (E), U8, U9;
    # not U1 (update on E-28), U7 (no `update` contact).
    assert proportion(kpis, "AAA", 5, "victim_updated_within_28d") == (4, 6)
    # AAA June, E = D_T = 15 June, window (18 May, 15 June]: eligible U1, U2, U3, U4, U7
    # (U8 withdrew 1 June, U9 closed 2 June, I1-I5 reported in June). Updated: U1 (on E), U3 (31 May);
    # U4's update on 18 May is E-28.
    assert proportion(kpis, "AAA", 6, "victim_updated_within_28d") == (2, 5)
    # AAA April, E = 30 April, E-28 = 2 April: nobody eligible.
    assert absent(kpis, "AAA", 4, "victim_updated_within_28d")
    # BBB May, E = D_T = 1 May, E-28 = 3 April: K4 eligible, updated on E; K5 (4 April) not eligible.
    assert proportion(kpis, "BBB", 5, "victim_updated_within_28d") == (1, 1)
    assert absent(kpis, "BBB", 4, "victim_updated_within_28d")
    # ALL pools each force at its own E; BBB is not in ALL after May.
    assert proportion(kpis, "ALL", 5, "victim_updated_within_28d") == (5, 7)
    assert proportion(kpis, "ALL", 6, "victim_updated_within_28d") == (2, 5)


def test_repeat_suspect_share_is_per_force(kpis):
    # Jan AAA with a suspect: J1 (S1, also on U9 in April: repeat), J2 (S2: once in AAA), J6 (S3).
    assert proportion(kpis, "AAA", 1, "repeat_suspect_share") == (1, 3)
    # BBB's S2 (K1) is another person from AAA's S2: no repeat.
    assert proportion(kpis, "BBB", 1, "repeat_suspect_share") == (0, 1)
    assert proportion(kpis, "ALL", 1, "repeat_suspect_share") == (1, 4)
    # April AAA: U2 (S9, once), U9 (S1, repeat of January's J1).
    assert proportion(kpis, "AAA", 4, "repeat_suspect_share") == (1, 2)
    assert absent(kpis, "AAA", 3, "repeat_suspect_share")  # no March case has a suspect


def test_officer_load_and_officers_over_15_cases(kpis):
    # 31 March: O16 has P01-P16 open (16), O15 has Q01-Q15 (15); R1 (O9) closed on E.
    assert ratio(kpis, "AAA", 3, "open_cases_per_investigator") == (31, 2, 15.5)
    assert proportion(kpis, "AAA", 3, "investigators_over_15_cases") == (1, 2)  # 16 is over, 15 is not
    # From April P16 is closed: 15 and 15.
    for month in (4, 5, 6):
        assert ratio(kpis, "AAA", month, "open_cases_per_investigator") == (30, 2, 15.0)
        assert proportion(kpis, "AAA", month, "investigators_over_15_cases") == (0, 2)
    assert absent(kpis, "AAA", 2, "open_cases_per_investigator")  # no officer on an open case yet
    assert absent(kpis, "AAA", 2, "investigators_over_15_cases")
    # BBB (no workforce.csv) still gets them: K3 open, officer BBB/O16.
    assert ratio(kpis, "BBB", 3, "open_cases_per_investigator") == (1, 1, 1.0)
    assert proportion(kpis, "BBB", 5, "investigators_over_15_cases") == (0, 1)
    # ALL: officers are (force, id) pairs, so AAA/O16 and BBB/O16 are two people.
    assert ratio(kpis, "ALL", 3, "open_cases_per_investigator")[:2] == (32, 3)
    assert proportion(kpis, "ALL", 3, "investigators_over_15_cases") == (1, 3)
    assert ratio(kpis, "ALL", 5, "open_cases_per_investigator")[:2] == (31, 3)
    assert proportion(kpis, "ALL", 4, "investigators_over_15_cases") == (0, 3)
    assert ratio(kpis, "ALL", 6, "open_cases_per_investigator") == (30, 2, 15.0)  # BBB ended in May


def test_workforce_kpis_only_where_workforce_is_supplied(kpis):
    # March: contracted 20 + 20 + 10.5 = 50.5, sick 2 + 0 + 1.5 = 3.5; O15 and O7 unaccredited.
    assert ratio(kpis, "AAA", 3, "sickness_rate") == (3.5, 50.5, 3.5 / 50.5)
    assert proportion(kpis, "AAA", 3, "unaccredited_share") == (2, 3)
    assert ratio(kpis, "AAA", 4, "sickness_rate") == (0.5, 20, 0.025)
    assert proportion(kpis, "AAA", 4, "unaccredited_share") == (0, 1)
    assert ratio(kpis, "ALL", 3, "sickness_rate") == (3.5, 50.5, 3.5 / 50.5)
    assert proportion(kpis, "ALL", 3, "unaccredited_share") == (2, 3)
    assert absent(kpis, "AAA", 12, "sickness_rate", year=2025)  # before AAA's first month
    assert absent(kpis, "AAA", 5, "sickness_rate")
    assert not [k for k in kpis if k[0] == "BBB" and k[2] in ("sickness_rate", "unaccredited_share")]


def test_completeness(kpis):
    # Jan AAA, 6 cases. victim_age: J1-J5 (J5 is age 0, present), J6 blank -> 5.
    assert proportion(kpis, "AAA", 1, "completeness_victim_age") == (5, 6)
    assert proportion(kpis, "AAA", 1, "completeness_victim_sex") == (5, 6)  # J2 blank
    assert proportion(kpis, "AAA", 1, "completeness_victim_ethnicity") == (4, 6)  # J2 unknown, J6 blank
    assert proportion(kpis, "AAA", 1, "completeness_relationship") == (4, 6)  # J2 blank, J6 unknown
    # Suspect fields over J1, J2, J6 (J3's suspect fields have no suspect_id and do not count).
    assert proportion(kpis, "AAA", 1, "completeness_suspect_age") == (2, 3)  # J2 blank
    assert proportion(kpis, "AAA", 1, "completeness_suspect_sex") == (1, 3)  # J2 unknown, J6 blank
    assert proportion(kpis, "AAA", 1, "completeness_suspect_ethnicity") == (1, 3)  # J2 blank, J6 unknown
    # ALL Jan adds K1 (age 16, female, S2 with no details) and K2 (age 25, sex blank).
    assert proportion(kpis, "ALL", 1, "completeness_victim_age") == (7, 8)
    assert proportion(kpis, "ALL", 1, "completeness_victim_sex") == (6, 8)
    assert proportion(kpis, "ALL", 1, "completeness_suspect_age") == (2, 4)
    assert absent(kpis, "AAA", 3, "completeness_suspect_age")  # no March case has a suspect_id


def test_withdrawal_rate_breakdowns(kpis, breakdowns):
    # Jan AAA withdrew: J1 (15), J2 (16), J5 (0); not J3 (17), J4 (18), J6 (age blank).
    assert proportion(kpis, "AAA", 1, "withdrawal_rate") == (3, 6)
    expected = {
        "victim_age_band=0-15": (2, 2),  # J1 15, J5 0
        "victim_age_band=16-17": (1, 2),  # J2 16 yes, J3 17 no
        "victim_age_band=18-24": (0, 1),  # J4 18
        "victim_age_band=unknown": (0, 1),  # J6
        "victim_sex=unknown": (1, 1),  # J2 blank
        "victim_sex=female": (2, 4),  # J1, J4, J5, J6
        "victim_sex=male": (0, 1),
        "victim_ethnicity=unknown": (1, 2),  # J2 `unknown`, J6 blank
        "relationship=unknown": (1, 2),  # J2 blank, J6 `unknown`
        "domestic_abuse=true": (2, 3),  # J1, J5, J6
        "domestic_abuse=false": (0, 2),  # J3, J4
        "domestic_abuse=unknown": (1, 1),  # J2 blank
        "offence_group=rape": (3, 4),  # 19C, 19C, 19E, 19C
        "offence_group=other_sexual_offence": (0, 2),  # 20, 17A
    }
    for value, counts in expected.items():
        assert breakdown(breakdowns, "AAA", 1, "withdrawal_rate", value) == counts, value
    for value in ("victim_age_band=25-34", "victim_age_band=55+", "victim_sex=other", "domestic_abuse="):
        assert (*key("AAA", 1, "withdrawal_rate"), value) not in breakdowns
    # BBB Jan: K1 (rape, 16, female, DA blank, withdrew), K2 (30, 25, sex blank, DA false).
    assert breakdown(breakdowns, "BBB", 1, "withdrawal_rate", "victim_age_band=16-17") == (1, 1)
    assert breakdown(breakdowns, "BBB", 1, "withdrawal_rate", "victim_age_band=25-34") == (0, 1)
    assert (*key("BBB", 1, "withdrawal_rate"), "victim_age_band=0-15") not in breakdowns
    # ALL pools both forces.
    all_expected = {
        "victim_age_band=16-17": (2, 3),  # J2, J3, K1
        "victim_age_band=25-34": (0, 1),  # K2 only
        "victim_age_band=0-15": (2, 2),
        "victim_sex=unknown": (1, 2),  # J2, K2
        "domestic_abuse=unknown": (2, 2),  # J2, K1
        "domestic_abuse=false": (0, 3),  # J3, J4, K2
        "offence_group=rape": (4, 5),
        "offence_group=other_sexual_offence": (0, 3),
    }
    for value, counts in all_expected.items():
        assert breakdown(breakdowns, "ALL", 1, "withdrawal_rate", value) == counts, value
    assert proportion(kpis, "ALL", 1, "withdrawal_rate") == (4, 8)


def test_outcome16_share_breakdowns(kpis, breakdowns):
    # February outcomes AAA: J1 16, J2 16, J3 1, J4 18, J5 16, J6 15 -> 3 of 6; BBB: K1 16, K2 16.
    assert proportion(kpis, "AAA", 2, "outcome16_share") == (3, 6)
    assert proportion(kpis, "BBB", 2, "outcome16_share") == (2, 2)
    assert proportion(kpis, "ALL", 2, "outcome16_share") == (5, 8)
    aaa = {
        "victim_age_band=0-15": (2, 2),  # J1, J5
        "victim_age_band=16-17": (1, 2),  # J2 yes, J3 no
        "victim_age_band=18-24": (0, 1),
        "victim_age_band=unknown": (0, 1),
        "offence_group=rape": (3, 4),  # J1, J2, J5 of J1, J2, J5, J6
        "offence_group=other_sexual_offence": (0, 2),
        "victim_sex=unknown": (1, 1),
        "domestic_abuse=unknown": (1, 1),
    }
    for value, counts in aaa.items():
        assert breakdown(breakdowns, "AAA", 2, "outcome16_share", value) == counts, value
    assert (*key("AAA", 2, "outcome16_share"), "victim_age_band=25-34") not in breakdowns
    everyone = {
        "victim_age_band=16-17": (2, 3),  # J2, J3, K1
        "victim_age_band=25-34": (1, 1),  # K2
        "offence_group=rape": (4, 5),
        "offence_group=other_sexual_offence": (1, 3),  # J3, J4, K2
        "victim_sex=unknown": (2, 2),  # J2, K2
    }
    for value, counts in everyone.items():
        assert breakdown(breakdowns, "ALL", 2, "outcome16_share", value) == counts, value
    # No February outcome is in March's cohort etc.: no March outcome rows for BBB.
    assert not [k for k in breakdowns if k[0] == "BBB" and k[1] == "2026-03-01" and k[2] == "outcome16_share"]

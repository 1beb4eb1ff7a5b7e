"""Self-tests of the reference (tests/reference_kpis.py) for catalogue v1.1, worked out by hand.

The reference is what the pipeline's kpi_monthly is compared with, so its v1.1 readings are
pinned here on tiny extracts: the provisional boundary of every settling period (D_T = last
day of M + P is provisional, one day later is not), ALL's provisional flag, the two
fixed-follow-up KPIs, the quarantine rules of suspect_actions.csv and victim_survey.csv, the
five suspect-disruption KPIs, the six victim-voice KPIs with their three-month window, and
"only where supplied".
"""

import pytest

from pipelines.contract import TABLES_BY_NAME
from tests.conftest import wilson, write_csv, write_extract
from tests.reference_kpis import (
    ALL_KPI_IDS,
    JOURNEY_STAGE_KPI_IDS,
    SETTLING_DAYS,
    reference_kpi_rows,
    reference_row_counts,
)

SUSPECT_KPIS = [
    "suspect_arrest_within_30d", "breach_arrest_share", "protection_orders_applied", "protection_orders_granted",
    "s63g_application_share",
]  # fmt: skip
SURVEY_KPIS = [
    "pj_treated_with_respect", "pj_treated_fairly", "pj_listened_to", "pj_kept_informed", "pj_felt_believed",
    "pj_would_recommend_reporting",
]  # fmt: skip


def write_v11_extract(inbox, force, extracted_at, cases, *, devices=(), suspect_actions=None, victim_survey=None):
    """One extract; the two v1.1 files only when given (an empty list writes a header only)."""
    manifest = {"schema_version": "1.1", "force_code": force, "extracted_at": extracted_at}
    folder = write_extract(inbox, force, extracted_at, cases, devices, (), manifest=manifest)
    for name, rows in (("suspect_actions", suspect_actions), ("victim_survey", victim_survey)):
        if rows is not None:
            write_csv(folder / f"{name}.csv", list(TABLES_BY_NAME[name].column_names), rows)
    return folder


def rows_by_key(inbox, kpi_ids=ALL_KPI_IDS):
    rows = reference_kpi_rows(inbox, kpi_ids, breakdowns=True)
    return {(r["force_code"], r["period"].isoformat(), r["kpi_id"], r["breakdown"]): r for r in rows}


def figures(row):
    return row["numerator"], row["denominator"], row["value"]


def test_settling_periods_are_the_catalogue_table():
    assert {k: p for k, p in SETTLING_DAYS.items() if p} == {
        "withdrawal_rate": 180, "charge_rate": 365, "victim_phone_request_rate": 90, "repeat_suspect_share": 365,
        "withdrawal_within_90d_of_report": 90, "charged_within_365d_of_report": 365, "suspect_arrest_within_30d": 30,
        "breach_arrest_share": 30, "s63g_application_share": 90,
    }  # fmt: skip
    assert set(SETTLING_DAYS) == set(ALL_KPI_IDS) and len(ALL_KPI_IDS) == 50
    assert JOURNEY_STAGE_KPI_IDS == tuple(SURVEY_KPIS)


# --- the provisional boundary -----------------------------------------------------------------
# Cases reported in May and June 2025, each with a suspect (S1, so both are repeat suspects), a
# withdrawal and an outcome 16 in its own month, a victim phone, an arrest and a breach met with
# arrest; a survey response in each month. Every KPI below has a row in May and in June.


def boundary_cases(prefix: str) -> list[dict]:
    return [
        dict(case_id=f"{prefix}{month}", offence_code="19C", reported_date=f"2025-0{month}-10", suspect_id="S1",
             victim_withdrawal_date=f"2025-0{month}-20", outcome_code="16", outcome_date=f"2025-0{month}-25")
        for month in (5, 6)
    ]  # fmt: skip


def boundary_extract(inbox, force, d_t: str, *, actions=True, survey=True):
    cases = boundary_cases(force)
    devices = [dict(device_id=f"{c['case_id']}-phone", case_id=c["case_id"], owner="victim") for c in cases]
    suspect_actions = [
        row
        for month in (5, 6)
        for row in (
            dict(case_id=f"{force}{month}", action="arrest", action_date=f"2025-0{month}-11"),
            dict(case_id=f"{force}{month}", action="bail_breach", action_date=f"2025-0{month}-15",
                 breach_response="arrested"),
        )
    ]  # fmt: skip
    victim_survey = [
        dict(response_id=f"{force}r{month}", response_date=f"2025-0{month}-15", journey_stage="reporting",
             treated_with_respect=5)
        for month in (5, 6)
    ]  # fmt: skip
    write_v11_extract(
        inbox, force, f"{d_t}T12:00:00Z", cases, devices=devices,
        suspect_actions=suspect_actions if actions else None, victim_survey=victim_survey if survey else None,
    )  # fmt: skip


# (kpi_id, D_T = 30 June 2025 + P days), worked out on a calendar.
BOUNDARIES = [
    ("withdrawal_rate", "2025-12-27"),  # P 180
    ("charge_rate", "2026-06-30"),  # P 365
    ("victim_phone_request_rate", "2025-09-28"),  # P 90
    ("repeat_suspect_share", "2026-06-30"),  # P 365
    ("withdrawal_within_90d_of_report", "2025-09-28"),  # P 90
    ("charged_within_365d_of_report", "2026-06-30"),  # P 365
    ("suspect_arrest_within_30d", "2025-07-30"),  # P 30
    ("breach_arrest_share", "2025-07-30"),  # P 30
    ("s63g_application_share", "2025-09-28"),  # P 90 (no application: 0 of 2 cases)
    ("outcome16_share", "2025-06-30"),  # P 0: D_T is the month's last day
    ("withdrawal_within_7d", "2025-06-30"),  # P 0
    ("pj_treated_with_respect", "2025-06-30"),  # P 0
    ("protection_orders_applied", "2025-06-30"),  # P 0 (a count: zero rows too)
]
NEXT_DAY = {"2025-12-27": "2025-12-28", "2026-06-30": "2026-07-01", "2025-09-28": "2025-09-29",
            "2025-07-30": "2025-07-31", "2025-06-30": "2025-07-01"}  # fmt: skip


@pytest.mark.parametrize(("kpi_id", "d_t"), BOUNDARIES)
def test_a_month_is_provisional_until_more_than_p_days_after_its_end(tmp_path, kpi_id, d_t):
    boundary_extract(tmp_path / "on", "FF", d_t)
    boundary_extract(tmp_path / "after", "FF", NEXT_DAY[d_t])
    on, after = rows_by_key(tmp_path / "on", [kpi_id]), rows_by_key(tmp_path / "after", [kpi_id])
    for force in ("FF", "ALL"):
        assert on[(force, "2025-06-01", kpi_id, "all")]["provisional"] is True  # D_T = last day of June + P
        assert on[(force, "2025-05-01", kpi_id, "all")]["provisional"] is False
        assert after[(force, "2025-06-01", kpi_id, "all")]["provisional"] is False  # one day later
    # A breakdown row takes its `all` row's flag.
    for key, row in on.items():
        assert row["provisional"] is on[(*key[:3], "all")]["provisional"]


def test_all_is_provisional_when_one_force_in_range_is(tmp_path):
    # charge_rate (P 365): FF's June is provisional (D_T 2026-06-30), GG's is not (one day later).
    boundary_extract(tmp_path / "inbox", "FF", "2026-06-30")
    boundary_extract(tmp_path / "inbox", "GG", "2026-07-01")
    rows = rows_by_key(tmp_path / "inbox", ["charge_rate"])
    june = {force: rows[(force, "2025-06-01", "charge_rate", "all")]["provisional"] for force in ("FF", "GG", "ALL")}
    assert june == {"FF": True, "GG": False, "ALL": True}
    assert rows[("ALL", "2025-05-01", "charge_rate", "all")]["provisional"] is False


def test_all_counts_only_forces_whose_range_includes_the_month(tmp_path):
    # P 0. FF publishes May-June 2025 (D_T 30 June); HH publishes July-August 2025 (D_T 15 August).
    # ALL: June is provisional (FF's last month), July is not (FF's range ended in June, and HH's
    # July is settled), August is (HH's month of D_T).
    boundary_extract(tmp_path / "inbox", "FF", "2025-06-30")
    write_v11_extract(tmp_path / "inbox", "HH", "2025-08-15T12:00:00Z",
                      [dict(case_id="H1", offence_code="19C", reported_date="2025-07-03")])  # fmt: skip
    rows = rows_by_key(tmp_path / "inbox", ["completeness_victim_age"])
    flags = {period: rows[("ALL", period, "completeness_victim_age", "all")]["provisional"]
             for period in ("2025-05-01", "2025-06-01", "2025-07-01")}  # fmt: skip
    assert flags == {"2025-05-01": False, "2025-06-01": True, "2025-07-01": False}
    # August has no completeness row (no case reported), but its count rows are provisional.
    assert rows_by_key(tmp_path / "inbox", ["charges"])[("ALL", "2025-08-01", "charges", "all")]["provisional"]


def test_suspect_and_survey_kpis_take_all_s_flag_from_the_supplying_forces_only(tmp_path):
    # FF has neither file and D_T 30 July 2025 (June + 30: provisional for a P 30 KPI); GG has
    # both and D_T 31 July (June settled). ALL's June is settled for the suspect KPIs.
    boundary_extract(tmp_path / "inbox", "FF", "2025-07-30", actions=False, survey=False)
    boundary_extract(tmp_path / "inbox", "GG", "2025-07-31")
    rows = rows_by_key(tmp_path / "inbox")
    for kpi_id in ("suspect_arrest_within_30d", "breach_arrest_share"):
        assert rows[("ALL", "2025-06-01", kpi_id, "all")]["provisional"] is False
        assert ("FF", "2025-06-01", kpi_id, "all") not in rows
    # ALL's figures are GG's alone.
    assert figures(rows[("ALL", "2025-06-01", "breach_arrest_share", "all")]) == (1.0, 1.0, 1.0)
    assert figures(rows[("ALL", "2025-07-01", "pj_treated_with_respect", "all")]) == (2.0, 2.0, 1.0)
    # A KPI of every force: FF's June is in ALL (the P 180 withdrawal rate is provisional for both).
    assert figures(rows[("ALL", "2025-06-01", "withdrawal_rate", "all")]) == (2.0, 2.0, 1.0)


# --- the new KPIs, hand-worked ---------------------------------------------------------------
# Force FF, T = 2026-03-31T12:00+01:00 (BST), D_T = 2026-03-31. D_T - 30 = 2026-03-01,
# D_T - 90 = 2025-12-31, D_T - 365 = 2025-03-31. FF publishes March 2025 - March 2026.

T = "2026-03-31T12:00:00+01:00"
CASES = [
    # Withdrawal within 90 days of report (Dec 2025 cohort; all eligible: reported <= 2025-12-31).
    dict(case_id="W1", offence_code="19C", reported_date="2025-12-01", victim_withdrawal_date="2026-03-01"),  # +90
    dict(case_id="W2", offence_code="17A", reported_date="2025-12-01", victim_withdrawal_date="2026-03-02"),  # +91
    dict(case_id="W3", offence_code="19C", reported_date="2025-12-31"),  # D_T - 90: eligible; no withdrawal
    dict(case_id="W4", offence_code="19C", reported_date="2025-12-10", victim_withdrawal_date="2025-12-10"),  # +0
    dict(case_id="W5", offence_code="19C", reported_date="2026-01-01", victim_withdrawal_date="2026-01-02"),  # -89
    # Charged within 365 days of report (March 2025 cohort; eligible: reported <= 2025-03-31).
    dict(case_id="C1", offence_code="19C", reported_date="2025-03-31", outcome_code="1", outcome_date="2026-03-31"),
    dict(case_id="C2", offence_code="19C", reported_date="2025-03-01", outcome_code="1A", outcome_date="2026-03-01"),
    dict(case_id="C3", offence_code="20", reported_date="2025-03-01", outcome_code="1", outcome_date="2026-03-02"),
    dict(case_id="C4", offence_code="19C", reported_date="2025-03-15", outcome_code="16", outcome_date="2025-04-01"),
    dict(case_id="C5", offence_code="19C", reported_date="2025-04-01", outcome_code="1", outcome_date="2025-04-02"),
    # Arrest or interview within 30 days (Jan 2026 cohort with a suspect; March 2026 edge).
    dict(case_id="A1", offence_code="19C", reported_date="2026-01-10", suspect_id="X1"),
    dict(case_id="A2", offence_code="19C", reported_date="2026-01-10", suspect_id="X2"),
    dict(case_id="A3", offence_code="19C", reported_date="2026-01-10", suspect_id="X3"),
    dict(case_id="A4", offence_code="19C", reported_date="2026-01-20", suspect_id="X4"),
    dict(case_id="A5", offence_code="19C", reported_date="2026-01-20"),  # no suspect: not in the denominator
    dict(case_id="A6", offence_code="19C", reported_date="2026-03-01", suspect_id="X6"),  # D_T - 30: eligible
    dict(case_id="A7", offence_code="19C", reported_date="2026-03-02", suspect_id="X7"),  # D_T - 29: not
    # s63G applications (closed in Feb 2026; reported in Nov 2025 to keep other cohorts clean).
    dict(case_id="S1", offence_code="19C", reported_date="2025-11-05", suspect_id="Y1", outcome_code="16",
         outcome_date="2026-02-10"),
    dict(case_id="S2", offence_code="19C", reported_date="2025-11-05", suspect_id="Y2", outcome_code="15",
         outcome_date="2026-02-11"),
    dict(case_id="S3", offence_code="19C", reported_date="2025-11-05", suspect_id="Y3", outcome_code="16",
         outcome_date="2026-02-12"),
    dict(case_id="S4", offence_code="19C", reported_date="2025-11-05", suspect_id="Y4", outcome_code="15",
         outcome_date="2026-02-13"),
    dict(case_id="S5", offence_code="19C", reported_date="2025-11-05", suspect_id="Y5", outcome_code="14",
         outcome_date="2026-02-14"),
    dict(case_id="S6", offence_code="19C", reported_date="2025-11-05", outcome_code="16", outcome_date="2026-02-15"),
    # Quarantined (outcome_code without outcome_date): its suspect actions are quarantined too.
    dict(case_id="QC", offence_code="19C", reported_date="2026-01-10", suspect_id="Z1", outcome_code="16"),
]  # fmt: skip


def action(case_id, name, day, order_type=None, breach_response=None):
    return dict(case_id=case_id, action=name, action_date=day, order_type=order_type, breach_response=breach_response)


ACTIONS = [
    action("A1", "arrest", "2026-02-09"),  # +30: counts
    action("A2", "voluntary_interview", "2026-02-10"),  # +31: does not
    action("A3", "arrest", "2026-01-05"),  # before the report: counts
    action("A4", "pre_charge_bail", "2026-01-21"),  # not an arrest or interview
    action("A4", "released_under_investigation", "2026-01-22"),
    action("A6", "arrest", "2026-03-31"),  # +30 on D_T
    action("A7", "arrest", "2026-03-02"),  # the case is not yet eligible
    # Breaches: January 1 of 1; February arrested x2 (identical rows) + charged = 3 of 7; March 1 of 1.
    action("A1", "bail_breach", "2026-01-31", breach_response="arrested"),
    action("A1", "bail_breach", "2026-02-01", breach_response="arrested"),
    action("A1", "bail_breach", "2026-02-01", breach_response="arrested"),
    action("A1", "order_breach", "2026-02-10", "shpo", "charged"),
    action("A1", "bail_breach", "2026-02-11", breach_response="warning"),
    action("A1", "bail_breach", "2026-02-12", breach_response="no_further_action"),
    action("A1", "order_breach", "2026-02-13", "dapo", "unknown"),
    action("A1", "bail_breach", "2026-02-28"),  # blank response = unknown
    action("A1", "order_breach", "2026-03-01", "stalking", "arrested"),
    # Orders: applied 2 (identical rows) in February and 1 in March; granted 1 in February; one
    # application before FF's first month (December 2024) is counted nowhere.
    action("A1", "order_applied", "2026-02-03", "sro"),
    action("A1", "order_applied", "2026-02-03", "sro"),
    action("A1", "order_granted", "2026-02-20", "sro"),
    action("A1", "order_applied", "2024-12-01", "restraining"),
    action("A1", "order_applied", "2026-03-31", "non_molestation"),
    # s63G: S1 applied before its outcome, S2 after it; S3 only granted; S5 is outcome 14.
    action("S1", "s63g_applied", "2026-02-01"),
    action("S2", "s63g_applied", "2026-03-20"),
    action("S3", "s63g_granted", "2026-02-20"),
    action("S5", "s63g_applied", "2026-02-01"),
]
# Each of these would change a figure above if it were accepted.
QUARANTINED_ACTIONS = [
    action("NOPE", "arrest", "2026-01-11"),  # no such case
    action("A5", "arrest", "2026-01-21"),  # a case without a suspect_id
    action("QC", "arrest", "2026-01-11"),  # a quarantined case
    action("A1", "order_applied", "2026-02-05"),  # an order action without order_type
    action("S4", "s63g_applied", "2026-04-01"),  # after D_T
    action("A2", "Arrest", "2026-01-11"),  # outside the code list (codes are case-sensitive)
    action("A1", "bail_breach", "2026-02-14", breach_response="arrest"),  # outside the code list
    dict(case_id="A2", action="arrest", action_date=""),  # a required field blank
    action("A2", "arrest", "2026-1-11"),  # an unparseable date
    action("A1", "order_granted", "2026-02-21", "SHPO"),  # outside the code list
    dict(case_id="", action="arrest", action_date="2026-01-11"),  # a required field blank
]


def response(response_id, day, stage, respect=None, informed=None, **items):
    return dict(response_id=response_id, response_date=day, journey_stage=stage, treated_with_respect=respect,
                kept_informed=informed, **items)  # fmt: skip


SURVEY = [
    response("r0", "2025-02-10", "reporting", 5),  # before FF's first month: still in March and April 2025
    response("r1", "2025-12-31", "reporting", 5, 2),
    response("r2", "2026-01-01", "investigation", 4, 4),
    response("r3", "2026-01-31", "outcome", 3),
    response("r4", "2026-02-15", "reporting", None, 5),
    response("r5", "2026-03-31", "reporting", 1, 4),  # on D_T
]
QUARANTINED_SURVEY = [
    response("dup", "2026-01-10", "reporting", 5, 5),  # a duplicated response_id: both copies
    response("dup", "2026-01-11", "reporting", 5, 5),
    response("q1", "2026-01-10", "reporting", 6),  # outside 1-5
    response("q2", "2026-01-10", "reporting", 5, 0),  # outside 1-5
    response("q3", "2026-01-10", "Reporting", 5),  # outside the code list
    response("q4", "2026-04-01", "reporting", 5),  # after D_T
    response("q5", "2026-01-10", "reporting", "4.0"),  # not an integer
    response("", "2026-01-10", "reporting", 5),  # a required field blank
    response("q6", "2026-01-10", "", 5),  # a required field blank
]


@pytest.fixture(scope="module")
def v11_rows(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("v11") / "inbox"
    write_v11_extract(inbox, "FF", T, CASES, suspect_actions=ACTIONS + QUARANTINED_ACTIONS,
                      victim_survey=SURVEY + QUARANTINED_SURVEY)  # fmt: skip
    return inbox, rows_by_key(inbox)


def assert_proportion(row, numerator, denominator, provisional):
    assert figures(row) == (float(numerator), float(denominator), numerator / denominator)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson(numerator, denominator), rel=1e-12)
    assert row["provisional"] is provisional


def test_quarantine_counts_of_the_new_files(v11_rows):
    inbox, _ = v11_rows
    counts = reference_row_counts(inbox)
    assert counts[("FF", "cases")] == (len(CASES), 1)
    assert counts[("FF", "suspect_actions")] == (len(ACTIONS) + len(QUARANTINED_ACTIONS), len(QUARANTINED_ACTIONS))
    assert counts[("FF", "victim_survey")] == (len(SURVEY) + len(QUARANTINED_SURVEY), len(QUARANTINED_SURVEY))


def test_withdrawal_within_90d_of_report(v11_rows):
    _, rows = v11_rows
    kpi = "withdrawal_within_90d_of_report"
    # December 2025: W1 (+90) and W4 (+0) of W1-W4; its last day + 90 = D_T: provisional.
    assert_proportion(rows[("FF", "2025-12-01", kpi, "all")], 2, 4, True)
    assert_proportion(rows[("FF", "2025-12-01", kpi, "offence_group=rape")], 2, 3, True)
    assert_proportion(rows[("FF", "2025-12-01", kpi, "offence_group=other_sexual_offence")], 0, 1, True)
    assert_proportion(rows[("FF", "2025-11-01", kpi, "all")], 0, 6, False)  # S1-S6 never withdrew
    assert_proportion(rows[("FF", "2025-03-01", kpi, "all")], 0, 4, False)
    assert ("FF", "2026-01-01", kpi, "all") not in rows  # W5 and the A cases are not 90 days old
    assert_proportion(rows[("ALL", "2025-12-01", kpi, "all")], 2, 4, True)


def test_charged_within_365d_of_report(v11_rows):
    _, rows = v11_rows
    kpi = "charged_within_365d_of_report"
    # March 2025: C1 (+365, charged on D_T) and C2 (1A, +365) of C1-C4; C3 +366; C4 outcome 16.
    assert_proportion(rows[("FF", "2025-03-01", kpi, "all")], 2, 4, True)  # last day + 365 = D_T
    assert_proportion(rows[("FF", "2025-03-01", kpi, "offence_group=other_sexual_offence")], 0, 1, True)
    assert_proportion(rows[("FF", "2025-03-01", kpi, "victim_sex=unknown")], 2, 4, True)  # blank = unknown
    assert ("FF", "2025-04-01", kpi, "all") not in rows  # C5 is 364 days old
    assert {key[1] for key in rows if key[2] == kpi} == {"2025-03-01"}


def test_suspect_arrest_within_30d(v11_rows):
    _, rows = v11_rows
    kpi = "suspect_arrest_within_30d"
    assert_proportion(rows[("FF", "2026-01-01", kpi, "all")], 2, 4, False)  # A1, A3 of A1-A4
    assert_proportion(rows[("FF", "2026-03-01", kpi, "all")], 1, 1, True)  # A6; A7 not yet eligible
    assert_proportion(rows[("FF", "2025-11-01", kpi, "all")], 0, 5, False)  # S1-S5 have suspects
    assert ("FF", "2025-12-01", kpi, "all") not in rows  # no December case has a suspect


def test_breach_arrest_share(v11_rows):
    _, rows = v11_rows
    kpi = "breach_arrest_share"
    assert_proportion(rows[("FF", "2026-01-01", kpi, "all")], 1, 1, False)
    # February: last day + 30 = 30 March, one day before D_T: settled.
    assert_proportion(rows[("FF", "2026-02-01", kpi, "all")], 3, 7, False)
    assert_proportion(rows[("FF", "2026-03-01", kpi, "all")], 1, 1, True)
    assert {key[1] for key in rows if key[2] == kpi} == {"2026-01-01", "2026-02-01", "2026-03-01"}


def test_protection_order_counts_have_zero_months(v11_rows):
    _, rows = v11_rows
    for kpi, expected in (
        ("protection_orders_applied", {"2026-02-01": 2.0, "2026-03-01": 1.0}),
        ("protection_orders_granted", {"2026-02-01": 1.0}),
    ):
        for force in ("FF", "ALL"):
            published = {key[1]: r for key, r in rows.items() if key[0] == force and key[2] == kpi}
            assert len(published) == 13  # March 2025 - March 2026
            for period, row in published.items():
                count = expected.get(period, 0.0)
                assert (row["numerator"], row["denominator"], row["value"]) == (count, None, count)
                assert (row["ci_low"], row["ci_high"]) == (None, None)
                assert row["provisional"] is (period == "2026-03-01")


def test_s63g_application_share(v11_rows):
    _, rows = v11_rows
    # February: S1 (applied before the outcome) and S2 (after) of S1-S4; S5 is outcome 14 and
    # S6 has no suspect. Last day + 90 is after D_T: provisional.
    assert_proportion(rows[("FF", "2026-02-01", "s63g_application_share", "all")], 2, 4, True)
    assert {key[1] for key in rows if key[2] == "s63g_application_share"} == {"2026-02-01"}


def test_victim_voice_three_month_window_and_journey_stage(v11_rows):
    _, rows = v11_rows
    respect = "pj_treated_with_respect"
    expected = {
        "2025-03-01": (1, 1),  # r0 (February 2025) is in January-March 2025
        "2025-04-01": (1, 1),  # and in February-April 2025
        "2025-12-01": (1, 1),  # r1 on its month's last day
        "2026-01-01": (2, 3),  # r1 (5), r2 (4), r3 (3)
        "2026-02-01": (2, 3),  # r1, r2, r3; r4 did not answer
        "2026-03-01": (1, 3),  # r2, r3, r5 (1); r1 has left the window
    }
    assert {key[1] for key in rows if key[0] == "FF" and key[2:] == (respect, "all")} == set(expected)
    for period, (agree, answered) in expected.items():
        assert_proportion(rows[("FF", period, respect, "all")], agree, answered, period == "2026-03-01")
    informed = "pj_kept_informed"
    for period, (agree, answered) in {"2025-12-01": (0, 1), "2026-01-01": (1, 2), "2026-02-01": (2, 3),
                                      "2026-03-01": (3, 3)}.items():  # fmt: skip
        assert_proportion(rows[("FF", period, informed, "all")], agree, answered, period == "2026-03-01")
    # journey_stage rows, with the `all` row's flag.
    assert_proportion(rows[("FF", "2026-03-01", respect, "journey_stage=reporting")], 0, 1, True)
    assert_proportion(rows[("FF", "2026-03-01", respect, "journey_stage=investigation")], 1, 1, True)
    assert_proportion(rows[("FF", "2026-03-01", respect, "journey_stage=outcome")], 0, 1, True)
    assert_proportion(rows[("FF", "2026-01-01", respect, "journey_stage=reporting")], 1, 1, False)
    assert ("FF", "2026-02-01", informed, "journey_stage=outcome") not in rows  # r3 did not answer it
    # Items nobody answered have no rows; survey KPIs have no case breakdowns.
    assert not [key for key in rows if key[2] == "pj_felt_believed"]
    assert not [key for key in rows if key[2] in SURVEY_KPIS and not key[3].startswith(("all", "journey_stage="))]


def test_an_order_type_or_breach_response_on_another_action_is_not_quarantined(tmp_path):
    # AMBIGUITY pinned: the contract lists no rule for these, so the rows are valid.
    cases = [dict(case_id="A1", offence_code="19C", reported_date="2026-01-10", suspect_id="X1")]
    actions = [action("A1", "arrest", "2026-01-11", order_type="shpo"),
               action("A1", "voluntary_interview", "2026-01-12", breach_response="arrested")]  # fmt: skip
    write_v11_extract(tmp_path / "inbox", "FF", T, cases, suspect_actions=actions)
    assert reference_row_counts(tmp_path / "inbox")[("FF", "suspect_actions")] == (2, 0)
    rows = rows_by_key(tmp_path / "inbox", ["suspect_arrest_within_30d", "breach_arrest_share"])
    assert figures(rows[("FF", "2026-01-01", "suspect_arrest_within_30d", "all")]) == (1.0, 1.0, 1.0)
    assert not [key for key in rows if key[2] == "breach_arrest_share"]


def test_only_where_supplied(tmp_path):
    # GG (no v1.1 files) publishes from January 2025; HH (header-only files) from January 2026.
    inbox = tmp_path / "inbox"
    write_v11_extract(inbox, "GG", T, [dict(case_id="G1", offence_code="19C", reported_date="2025-01-10",
                                           suspect_id="X")])  # fmt: skip
    write_v11_extract(inbox, "HH", T, [dict(case_id="H1", offence_code="19C", reported_date="2026-01-10",
                                           suspect_id="X")], suspect_actions=[], victim_survey=[])  # fmt: skip
    rows = rows_by_key(inbox)
    new = SUSPECT_KPIS + SURVEY_KPIS
    assert not [key for key in rows if key[0] == "GG" and key[2] in new]
    for kpi in ("protection_orders_applied", "protection_orders_granted"):
        for force in ("HH", "ALL"):  # ALL's months are HH's alone: January-March 2026
            published = {key[1]: figures(r) for key, r in rows.items() if key[0] == force and key[2] == kpi}
            assert published == {p: (0.0, None, 0.0) for p in ("2026-01-01", "2026-02-01", "2026-03-01")}
    # HH's January case has a suspect and is 30 days old: 0 of 1. No breach, no survey answer.
    for force in ("HH", "ALL"):
        assert figures(rows[(force, "2026-01-01", "suspect_arrest_within_30d", "all")]) == (0.0, 1.0, 0.0)
    assert {key[2] for key in rows if key[2] in new} == {
        "protection_orders_applied", "protection_orders_granted", "suspect_arrest_within_30d",
    }  # fmt: skip
    # Every force still has the v1 KPIs: ALL's charges run from GG's first month.
    assert ("ALL", "2025-01-01", "charges", "all") in rows

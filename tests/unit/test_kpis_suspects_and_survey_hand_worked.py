"""The suspect-disruption and victim-voice KPIs (catalogue v1.1) on a tiny hand-made inbox, with
every expected value worked out by hand: the 30-day boundary, breach responses of each code and
blank, s63G applications before and after the outcome, protection-order counts with zero months,
the three-month survey window's first and last days, answers 3/4/5/blank, the journey_stage
breakdown, and "only where supplied" (rows, ALL's records, months and provisional flag).

Force SSS supplies both files: T = 2026-06-15T21:30Z, D_T 2026-06-15 (D_T - 30 = 2026-05-16);
  publishes Jan - Jun 2026.
Force HHH supplies both files with a header and no rows: T = 2026-05-30T12:00Z, D_T 2026-05-30
  (D_T - 30 = 2026-04-30, and 2026-04-30 + 30 days = D_T exactly); publishes Apr - May 2026.
Force NNN supplies neither file: T = 2026-04-30T12:00Z; publishes Nov 2025 - Apr 2026. It takes
  no part in these KPIs: no rows, nothing in ALL's records, months or provisional flag.
"""

import json

import duckdb
import pytest

from tests.conftest import run_pipeline, wilson, write_extract

SSS_T, HHH_T, NNN_T = "2026-06-15T21:30:00Z", "2026-05-30T12:00:00Z", "2026-04-30T12:00:00Z"


def case(case_id, reported, suspect=None, **fields):
    return dict(case_id=case_id, offence_code="19C", reported_date=reported, suspect_id=suspect, **fields)


SSS_CASES = [
    case("S0", "2026-01-05", "P0", outcome_code="16", outcome_date="2026-02-10"),
    case("S1", "2026-03-01", "P1"),  # arrested 30 days after report
    case("S2", "2026-03-02", "P2"),  # interviewed 31 days after report
    case("S3", "2026-03-03", "P3"),  # arrested 11 days before the report
    case("S4", "2026-03-04"),  # no suspect
    case("S5", "2026-03-05", "P5"),  # bailed, never arrested
    case("S6", "2026-03-06", "P6", outcome_code="16", outcome_date="2026-04-20"),  # s63G after the outcome
    case("S7", "2026-03-07", "P7", outcome_code="15", outcome_date="2026-04-21"),  # s63G before the outcome
    case("S8", "2026-03-08", "P8", outcome_code="16", outcome_date="2026-04-22"),  # only s63g_granted
    case("S9", "2026-03-09", outcome_code="15", outcome_date="2026-04-23"),  # no suspect
    case("S10", "2026-03-10", "P10", outcome_code="1", outcome_date="2026-04-24"),  # charged
    case("S14", "2026-03-11", "P14", outcome_code="15", outcome_date="2026-03-12"),
    case("S13", "2026-05-10", "P13"),
    case("S11", "2026-05-16", "P11"),  # reported on D_T - 30
    case("S12", "2026-05-17", "P12"),  # reported on D_T - 29
]


def act(case_id, action, action_date, **fields):
    return dict(case_id=case_id, action=action, action_date=action_date, **fields)


SSS_ACTIONS = [
    act("S1", "arrest", "2026-03-31"),
    act("S2", "voluntary_interview", "2026-04-02"),
    act("S3", "arrest", "2026-02-20"),
    act("S5", "pre_charge_bail", "2026-03-06"),
    act("S11", "arrest", "2026-06-15"),
    act("S12", "arrest", "2026-05-17"),
    act("S0", "s63g_applied", "2026-02-11"),
    act("S6", "s63g_applied", "2026-04-25"),
    act("S7", "s63g_applied", "2026-04-01"),
    act("S8", "s63g_granted", "2026-04-30"),
    act("S10", "s63g_applied", "2026-04-25"),
    act("S14", "s63g_applied", "2026-03-13"),
    # Breaches in April: arrested, charged, warning, no_further_action, unknown, blank, blank again.
    act("S5", "bail_breach", "2026-04-10", breach_response="arrested"),
    act("S1", "order_breach", "2026-04-11", order_type="shpo", breach_response="charged"),
    act("S2", "bail_breach", "2026-04-12", breach_response="warning"),
    act("S3", "order_breach", "2026-04-13", order_type="dapo", breach_response="no_further_action"),
    act("S5", "bail_breach", "2026-04-14", breach_response="unknown"),
    act("S5", "bail_breach", "2026-04-15"),
    act("S5", "bail_breach", "2026-04-15"),  # an identical row: a second breach that day
    act("S13", "bail_breach", "2026-05-31", breach_response="arrested"),
    # Orders: two identical applications in March, a grant in April, an application on D_T, and
    # one dated before SSS's first published month (never counted).
    act("S1", "order_applied", "2026-03-20", order_type="shpo"),
    act("S1", "order_applied", "2026-03-20", order_type="shpo"),
    act("S1", "order_granted", "2026-04-05", order_type="shpo"),
    act("S6", "order_applied", "2026-06-15", order_type="restraining"),
    act("S3", "order_applied", "2025-12-20", order_type="sro"),
]


def answer(response_id, response_date, stage, **items):
    return dict(response_id=response_id, response_date=response_date, journey_stage=stage, **items)


SSS_SURVEY = [
    answer("V0", "2025-12-31", "reporting", kept_informed=5),  # before SSS's first month
    answer("V1", "2026-01-31", "reporting", kept_informed=5, treated_with_respect=4, listened_to=3),
    answer("V2", "2026-02-01", "investigation", kept_informed=4, listened_to=2),
    answer("V3", "2026-03-31", "outcome", kept_informed=3, treated_with_respect=5),
    answer("V4", "2026-04-01", "reporting", treated_with_respect=1, listened_to=5),
    answer("V5", "2026-06-15", "investigation", kept_informed=2, treated_with_respect=4),  # on D_T
]

HHH_CASES = [
    case("H1", "2026-04-10", "Q1"),
    case("H2", "2026-05-01", "Q2"),  # reported on D_T - 29
    case("H3", "2026-04-20", "Q3", outcome_code="16", outcome_date="2026-05-05"),
]
NNN_CASES = [
    case("N1", "2025-11-10", "R1", outcome_code="16", outcome_date="2026-02-01"),
    case("N2", "2026-03-10", "R2"),
]

SUSPECT_KPIS = (
    "suspect_arrest_within_30d", "breach_arrest_share", "protection_orders_applied", "protection_orders_granted",
    "s63g_application_share",
)  # fmt: skip
SURVEY_KPIS = tuple(
    f"pj_{item}"
    for item in ("treated_with_respect", "treated_fairly", "listened_to", "kept_informed", "felt_believed",
                 "would_recommend_reporting")
)  # fmt: skip


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """{(force, 'YYYY-MM', kpi_id, breakdown): (numerator, denominator, value, ci_low, ci_high, provisional)}."""
    tmp = tmp_path_factory.mktemp("suspects_survey")
    inbox = tmp / "inbox"
    write_extract(inbox, "SSS", SSS_T, SSS_CASES, suspect_actions=SSS_ACTIONS, victim_survey=SSS_SURVEY)
    write_extract(inbox, "HHH", HHH_T, HHH_CASES, suspect_actions=[], victim_survey=[])
    write_extract(inbox, "NNN", NNN_T, NNN_CASES)
    result, out, _ = run_pipeline(inbox, tmp)
    assert result.success
    version = out / json.loads((out / "latest.json").read_text())["path"]
    manifest = json.loads((version / "manifest.json").read_text())
    files = {e["force_code"]: e["files"] for e in manifest["extracts"]}
    assert files["SSS"]["suspect_actions"]["rows_accepted"] == len(SSS_ACTIONS)
    assert files["SSS"]["victim_survey"]["rows_accepted"] == len(SSS_SURVEY)
    assert files["HHH"]["suspect_actions"]["rows_read"] == 0 and "suspect_actions" not in files["NNN"]
    table = duckdb.sql(f"select * from read_parquet('{version / 'kpi_monthly.parquet'}')")
    return {(r[0], r[1].isoformat()[:7], r[2], r[3]): r[4:] for r in table.fetchall()}


def proportion(rows, force, month, kpi_id, breakdown="all"):
    """(numerator, denominator, provisional) of a proportion row, after checking its value and interval."""
    numerator, denominator, value, low, high, provisional = rows[(force, month, kpi_id, breakdown)]
    assert value == pytest.approx(numerator / denominator, abs=1e-12)
    assert (low, high) == pytest.approx(wilson(numerator, denominator), abs=1e-12)
    return numerator, denominator, provisional


def counts(rows, force, kpi_id):
    """{month: (count, provisional)} of a count KPI, checking the count columns."""
    found = {}
    for (f, month, k, breakdown), (numerator, denominator, value, low, high, provisional) in rows.items():
        if (f, k) == (force, kpi_id):
            assert breakdown == "all" and numerator == value and (denominator, low, high) == (None, None, None)
            found[month] = (value, provisional)
    return found


def forces_of(rows, kpi_id):
    return {f for f, _, k, _ in rows if k == kpi_id}


def test_only_forces_that_supply_the_file_have_rows(rows):
    for kpi_id in SUSPECT_KPIS:
        assert forces_of(rows, kpi_id) <= {"SSS", "HHH", "ALL"}, kpi_id
    assert forces_of(rows, "protection_orders_applied") == {"SSS", "HHH", "ALL"}
    for kpi_id in SURVEY_KPIS:
        # HHH's survey file has no responses, so no denominator; NNN has no file.
        assert forces_of(rows, kpi_id) <= {"SSS", "ALL"}, kpi_id
    assert forces_of(rows, "pj_kept_informed") == {"SSS", "ALL"}
    assert forces_of(rows, "pj_treated_fairly") == set()  # nobody answered it
    # Every other KPI still covers NNN.
    assert "NNN" in forces_of(rows, "charges")


def test_suspect_arrest_within_30d(rows):
    kpi = "suspect_arrest_within_30d"
    assert proportion(rows, "SSS", "2026-01", kpi) == (0, 1, False)  # S0: no arrest
    # March: S1 (30 days) and S3 (before the report) count; S2 (31 days), S5 (bail only) and S6-S8,
    # S10, S14 (no arrest) do not; S4 has no suspect. Settled: 2026-03-31 + 30 = 2026-04-30.
    assert proportion(rows, "SSS", "2026-03", kpi) == (2, 9, False)
    # May: S11 (reported on D_T - 30, arrested 30 days later on D_T) counts, S13 does not; S12
    # (D_T - 29) is not yet in. Provisional: 2026-05-31 + 30 is after D_T.
    assert proportion(rows, "SSS", "2026-05", kpi) == (1, 2, True)
    # HHH: H1 and H3 with no actions (its file is header-only); H2 is on D_T - 29. April: D_T =
    # 2026-04-30 + 30 exactly, so still provisional.
    assert proportion(rows, "HHH", "2026-04", kpi) == (0, 2, True)
    assert ("HHH", "2026-05", kpi, "all") not in rows
    # ALL March has SSS's cases only: NNN's N2 (March, with a suspect) is not in it.
    assert proportion(rows, "ALL", "2026-03", kpi) == (2, 9, False)
    assert proportion(rows, "ALL", "2026-04", kpi) == (0, 2, True)


def test_breach_arrest_share_by_response(rows):
    kpi = "breach_arrest_share"
    # April: arrested and charged count; warning, no_further_action, unknown and two blanks do not.
    assert proportion(rows, "SSS", "2026-04", kpi) == (2, 7, False)  # 2026-04-30 + 30 < D_T
    assert proportion(rows, "SSS", "2026-05", kpi) == (1, 1, True)
    # ALL April has SSS's breaches only, but HHH supplies the file, its range holds April and its
    # April is still settling: provisional.
    assert proportion(rows, "ALL", "2026-04", kpi) == (2, 7, True)
    assert ("HHH", "2026-04", kpi, "all") not in rows  # no breaches: no denominator


def test_protection_order_counts_with_zero_months(rows):
    # SSS: two identical applications in March, one on D_T; the December 2025 application is before
    # SSS's first month and is never counted. P = 0: only the month of D_T is provisional.
    assert counts(rows, "SSS", "protection_orders_applied") == {
        "2026-01": (0, False), "2026-02": (0, False), "2026-03": (2, False), "2026-04": (0, False),
        "2026-05": (0, False), "2026-06": (1, True),
    }  # fmt: skip
    assert counts(rows, "SSS", "protection_orders_granted")["2026-04"] == (1, False)
    # HHH (header-only file): zeros in its own months.
    assert counts(rows, "HHH", "protection_orders_applied") == {"2026-04": (0, False), "2026-05": (0, True)}
    # ALL's months run from the earliest to the latest month of SSS and HHH only (not NNN's
    # November 2025 - February 2026 start); May is provisional because it is HHH's month of D_T.
    assert counts(rows, "ALL", "protection_orders_applied") == {
        "2026-01": (0, False), "2026-02": (0, False), "2026-03": (2, False), "2026-04": (0, False),
        "2026-05": (0, True), "2026-06": (1, True),
    }  # fmt: skip
    # A KPI of every force: April is NNN's month of D_T, so ALL's April is provisional there (S10
    # was charged in April).
    assert counts(rows, "ALL", "charges")["2026-04"] == (1, True)
    assert counts(rows, "ALL", "charges")["2025-11"] == (0, False)


def test_s63g_application_share(rows):
    kpi = "s63g_application_share"
    # April outcomes 15/16 with a suspect: S6 (applied after the outcome) and S7 (before it) count,
    # S8 (granted only) does not; S9 has no suspect and S10 was charged. 2026-04-30 + 90 > D_T.
    assert proportion(rows, "SSS", "2026-04", kpi) == (2, 3, True)
    assert proportion(rows, "SSS", "2026-03", kpi) == (1, 1, True)  # S14; 2026-03-31 + 90 = 2026-06-29
    assert proportion(rows, "SSS", "2026-02", kpi) == (1, 1, False)  # S0; 2026-02-28 + 90 = 2026-05-29
    assert proportion(rows, "HHH", "2026-05", kpi) == (0, 1, True)  # H3
    # ALL February: S0 only; NNN's N1 (outcome 16 in February, with a suspect) is not pooled.
    assert proportion(rows, "ALL", "2026-02", kpi) == (1, 1, False)


def test_survey_three_month_window_and_answers(rows):
    kpi = "pj_kept_informed"
    # Answers: V0 5, V1 5, V2 4, V3 3, V4 blank (not in the denominator), V5 2.
    assert proportion(rows, "SSS", "2026-01", kpi) == (2, 2, False)  # V0 (Dec) and V1: Nov-Jan
    assert proportion(rows, "SSS", "2026-02", kpi) == (3, 3, False)  # V0, V1, V2: Dec-Feb
    # March's window is 1 January - 31 March: V0 (31 December) is out, V3 (31 March, a 3) in.
    assert proportion(rows, "SSS", "2026-03", kpi) == (2, 3, False)
    # April's window starts on 1 February: V2 (a 4 on that day) is in; V4 did not answer.
    assert proportion(rows, "SSS", "2026-04", kpi) == (1, 2, False)
    assert proportion(rows, "SSS", "2026-05", kpi) == (0, 1, False)  # V3
    assert proportion(rows, "SSS", "2026-06", kpi) == (0, 1, True)  # V5, on D_T; the month of D_T
    kpi = "pj_treated_with_respect"  # V1 4, V3 5, V4 1, V5 4
    assert [proportion(rows, "SSS", f"2026-{m:02d}", kpi)[:2] for m in range(1, 7)] == [
        (1, 1), (1, 1), (2, 2), (1, 2), (1, 2), (1, 2),
    ]  # fmt: skip
    kpi = "pj_listened_to"  # V1 3, V2 2, V4 5
    assert [proportion(rows, "SSS", f"2026-{m:02d}", kpi)[:2] for m in range(1, 7)] == [
        (0, 1), (0, 2), (0, 2), (1, 2), (1, 1), (1, 1),
    ]  # fmt: skip


def test_survey_journey_stage_breakdown(rows):
    kpi = "pj_kept_informed"
    assert proportion(rows, "SSS", "2026-03", kpi, "journey_stage=reporting") == (1, 1, False)  # V1
    assert proportion(rows, "SSS", "2026-03", kpi, "journey_stage=investigation") == (1, 1, False)  # V2
    assert proportion(rows, "SSS", "2026-03", kpi, "journey_stage=outcome") == (0, 1, False)  # V3
    assert ("SSS", "2026-04", kpi, "journey_stage=reporting") not in rows  # V4 did not answer
    assert proportion(rows, "ALL", "2026-06", kpi, "journey_stage=investigation") == (0, 1, True)
    breakdowns = {b for f, _, k, b in rows if k == kpi}
    assert breakdowns == {"all", "journey_stage=reporting", "journey_stage=investigation", "journey_stage=outcome"}


def test_survey_all_pools_and_settles_over_supplying_forces_only(rows):
    kpi = "pj_kept_informed"
    # ALL = SSS's responses. May: HHH supplies a (header-only) survey file, its range holds May and
    # May is its month of D_T, so ALL's May is provisional although SSS's is not.
    assert proportion(rows, "ALL", "2026-05", kpi) == (0, 1, True)
    # April: NNN's month of D_T, but NNN has no survey file; SSS and HHH have settled April.
    assert proportion(rows, "ALL", "2026-04", kpi) == (1, 2, False)
    assert {m for f, m, k, b in rows if (f, k, b) == ("ALL", kpi, "all")} == {
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
    }  # fmt: skip

"""Every core KPI on a tiny hand-made inbox, with expected values worked out by hand.

Force AAA: T = 2026-06-15T21:30Z (D_T 2026-06-15), seven cases reported Jan-Apr 2026.
Force BBB: T = 2026-07-01T00:30+01:00, which is 2026-06-30 23:30 UTC but 1 July in London,
so BBB's months run to July. Day counts are written out beside each case.
"""


import pytest

from tests.conftest import latest_kpis, run_pipeline, wilson, write_extract

AAA_CASES = [
    # reported 10 Jan; withdrew 7 days later (exactly 7: inside both windows); outcome 16 after 22 days.
    dict(case_id="A1", offence_code="19C", reported_date="2026-01-10", victim_withdrawal_date="2026-01-17",
         outcome_code="16", outcome_date="2026-02-01"),
    # withdrew exactly 30 days after report (20 Jan -> 19 Feb); outcome 14 after 31 days.
    dict(case_id="A2", offence_code="19C", reported_date="2026-01-20", victim_withdrawal_date="2026-02-19",
         outcome_code="14", outcome_date="2026-02-20"),
    # withdrew 32 days after report; still open.
    dict(case_id="A3", offence_code="20", reported_date="2026-01-25", victim_withdrawal_date="2026-02-26"),
    # charged (1) 59 days after report.
    dict(case_id="A4", offence_code="19C", reported_date="2026-02-05", outcome_code="1", outcome_date="2026-04-05"),
    # charged (1A) 69 days after report.
    dict(case_id="A5", offence_code="19C", reported_date="2026-02-10", outcome_code="1A", outcome_date="2026-04-20"),
    # outcome 18 after 60 days.
    dict(case_id="A6", offence_code="17A", reported_date="2026-03-01", outcome_code="18", outcome_date="2026-04-30"),
    # withdrew 8 days after report; outcome 15 on D_T itself, 74 days after report.
    dict(case_id="A7", offence_code="19C", reported_date="2026-04-02", victim_withdrawal_date="2026-04-10",
         outcome_code="15", outcome_date="2026-06-15"),
]  # fmt: skip

AAA_DEVICES = [
    # Returned exactly 24 hours after seizure: counts as returned within 24 h.
    dict(device_id="D1", case_id="A1", owner="victim", requested_date="2026-01-10", consent="given",
         seized_at="2026-01-11T10:00:00Z", returned_at="2026-01-12T10:00:00Z"),
    # Returned 24 h + 1 s later, but replaced after 23 h: not returned in 24 h, not without a phone.
    dict(device_id="D2", case_id="A2", owner="victim", requested_date="2026-01-20", consent="given",
         seized_at="2026-01-20T12:00:00Z", returned_at="2026-01-21T12:00:01Z",
         replacement_at="2026-01-21T11:00:00Z"),
    # Requested, consent refused, never taken.
    dict(device_id="D3", case_id="A3", owner="victim", requested_date="2026-01-25", consent="refused"),
    # Seized 23:30 UTC on 31 May = 00:30 BST on 1 June: a June seizure. Never returned.
    dict(device_id="D4", case_id="A4", owner="victim", requested_date="2026-02-05", consent="given",
         seized_at="2026-05-31T23:30:00Z"),
    # Seized 11.5 hours before T: too recent for the 24-hour measures, censored for the median.
    dict(device_id="D5", case_id="A5", owner="victim", requested_date="2026-06-14", consent="given",
         seized_at="2026-06-15T10:00:00Z"),
    # A suspect's device does not make a victim phone request.
    dict(device_id="D6", case_id="A6", owner="suspect", seized_at="2026-03-02T09:00:00Z"),
    # Held 48 hours, no replacement.
    dict(device_id="D7", case_id="A7", owner="victim", consent="unknown",
         seized_at="2026-04-03T08:00:00Z", returned_at="2026-04-05T08:00:00+00:00"),
]  # fmt: skip

BBB_CASES = [
    dict(case_id="B1", offence_code="19C", reported_date="2026-06-30", victim_withdrawal_date="2026-07-01"),
    dict(case_id="B2", offence_code="19C", reported_date="2026-07-01", outcome_code="1", outcome_date="2026-07-01"),
]


@pytest.fixture(scope="module")
def kpis(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hand")
    inbox = tmp / "inbox"
    write_extract(inbox, "AAA", "2026-06-15T21:30:00Z", AAA_CASES, AAA_DEVICES, [])
    write_extract(inbox, "BBB", "2026-07-01T00:30:00+01:00", BBB_CASES, [], [])
    result, out, _ = run_pipeline(inbox, tmp)
    assert result.success
    return latest_kpis(out)


def proportion(kpis, force, month, kpi_id):
    numerator, denominator, value, low, high = kpis[(force, f"2026-{month:02d}-01", kpi_id)]
    assert value == pytest.approx(numerator / denominator, abs=1e-12)
    assert (low, high) == pytest.approx(wilson(numerator, denominator), abs=1e-12)
    return numerator, denominator


def absent(kpis, force, month, kpi_id):
    return (force, f"2026-{month:02d}-01", kpi_id) not in kpis


def test_withdrawal_rate_by_report_cohort(kpis):
    assert proportion(kpis, "AAA", 1, "withdrawal_rate") == (3, 3)
    assert proportion(kpis, "AAA", 2, "withdrawal_rate") == (0, 2)
    assert proportion(kpis, "AAA", 3, "withdrawal_rate") == (0, 1)
    assert proportion(kpis, "AAA", 4, "withdrawal_rate") == (1, 1)
    assert absent(kpis, "AAA", 5, "withdrawal_rate")  # no reports: zero denominator, no row
    assert proportion(kpis, "BBB", 6, "withdrawal_rate") == (1, 1)
    assert proportion(kpis, "BBB", 7, "withdrawal_rate") == (0, 1)
    assert proportion(kpis, "ALL", 1, "withdrawal_rate") == (3, 3)
    assert proportion(kpis, "ALL", 6, "withdrawal_rate") == (1, 1)


def test_withdrawal_windows_include_exactly_7_and_30_days(kpis):
    assert proportion(kpis, "AAA", 1, "withdrawal_within_7d") == (1, 1)  # exactly 7 days
    assert proportion(kpis, "AAA", 2, "withdrawal_within_7d") == (0, 2)
    assert proportion(kpis, "AAA", 2, "withdrawal_within_30d") == (1, 2)  # exactly 30 counts, 32 not
    assert proportion(kpis, "AAA", 4, "withdrawal_within_7d") == (0, 1)  # 8 days
    assert proportion(kpis, "AAA", 4, "withdrawal_within_30d") == (1, 1)
    assert proportion(kpis, "ALL", 7, "withdrawal_within_7d") == (1, 1)


def test_median_days_to_withdrawal_even_n_is_mean_of_middle_two(kpis):
    assert kpis[("AAA", "2026-02-01", "median_days_to_withdrawal")][:3] == (None, 2, 31.0)  # (30 + 32) / 2
    assert kpis[("AAA", "2026-01-01", "median_days_to_withdrawal")][:3] == (None, 1, 7.0)
    assert kpis[("ALL", "2026-07-01", "median_days_to_withdrawal")][:3] == (None, 1, 1.0)


def test_outcome_shares_by_outcome_month(kpis):
    assert proportion(kpis, "AAA", 2, "outcome16_share") == (1, 2)
    assert proportion(kpis, "AAA", 2, "outcome14_share") == (1, 2)
    assert proportion(kpis, "AAA", 2, "victim_withdrawal_outcome_share") == (2, 2)
    assert proportion(kpis, "AAA", 4, "outcome18_share") == (1, 3)
    assert proportion(kpis, "AAA", 4, "charge_outcome_share") == (2, 3)
    assert proportion(kpis, "AAA", 6, "outcome15_share") == (1, 1)
    assert proportion(kpis, "AAA", 6, "outcome14_share") == (0, 1)
    assert absent(kpis, "AAA", 3, "outcome16_share")
    assert proportion(kpis, "ALL", 7, "charge_outcome_share") == (1, 1)


def test_charge_rate_and_charges_with_zero_months(kpis):
    assert proportion(kpis, "AAA", 2, "charge_rate") == (2, 2)
    assert proportion(kpis, "AAA", 1, "charge_rate") == (0, 3)
    charges = {m: kpis[("AAA", f"2026-{m:02d}-01", "charges")] for m in range(1, 7)}
    assert {m: v[2] for m, v in charges.items()} == {1: 0, 2: 0, 3: 0, 4: 2, 5: 0, 6: 0}
    assert all(v[0] == v[2] and v[1] is None and v[3] is None for v in charges.values())
    assert absent(kpis, "AAA", 7, "charges")  # beyond AAA's D_T month
    assert [kpis[("ALL", f"2026-{m:02d}-01", "charges")][2] for m in range(1, 8)] == [0, 0, 0, 2, 0, 0, 1]
    assert [kpis[("BBB", f"2026-{m:02d}-01", "charges")][2] for m in (6, 7)] == [0, 1]
    assert absent(kpis, "BBB", 5, "charges")


def test_median_days_report_to_charge_and_outcome(kpis):
    assert kpis[("AAA", "2026-04-01", "median_days_report_to_charge")][:3] == (None, 2, 64.0)  # (59 + 69) / 2
    assert kpis[("AAA", "2026-04-01", "median_days_report_to_outcome")][:3] == (None, 3, 60.0)
    assert kpis[("AAA", "2026-02-01", "median_days_report_to_outcome")][:3] == (None, 2, 26.5)  # (22 + 31) / 2
    assert kpis[("AAA", "2026-06-01", "median_days_report_to_outcome")][:3] == (None, 1, 74.0)
    assert kpis[("ALL", "2026-07-01", "median_days_report_to_charge")][:3] == (None, 1, 0.0)
    assert absent(kpis, "AAA", 2, "median_days_report_to_charge")


def test_victim_phone_request_and_consent(kpis):
    assert proportion(kpis, "AAA", 1, "victim_phone_request_rate") == (3, 3)
    assert proportion(kpis, "AAA", 3, "victim_phone_request_rate") == (0, 1)  # suspect device only
    assert proportion(kpis, "AAA", 1, "victim_phone_consent_rate") == (2, 3)
    assert proportion(kpis, "AAA", 6, "victim_phone_consent_rate") == (1, 1)
    assert absent(kpis, "AAA", 4, "victim_phone_consent_rate")  # D7 has no request date


def test_phone_24_hour_measures(kpis):
    assert proportion(kpis, "AAA", 1, "victim_phone_returned_24h") == (1, 2)  # exactly 24 h counts
    assert proportion(kpis, "AAA", 1, "victim_without_phone_over_24h") == (0, 2)  # replacement at 23 h
    assert proportion(kpis, "AAA", 4, "victim_without_phone_over_24h") == (1, 1)
    # June (London) holds D4 (seized 23:30 UTC on 31 May); D5 is under 24 h before T.
    assert proportion(kpis, "AAA", 6, "victim_phone_returned_24h") == (0, 1)
    assert proportion(kpis, "AAA", 6, "victim_without_phone_over_24h") == (1, 1)
    assert absent(kpis, "AAA", 5, "victim_phone_returned_24h")


def test_phone_kaplan_meier_median(kpis):
    # Two phones returned at 24 h and 24 h + 1 s: S(24) = 1/2 exactly, so the median is 24.
    assert kpis[("AAA", "2026-01-01", "victim_phone_median_hours_held")][:3] == (2, 2, 24.0)
    assert kpis[("AAA", "2026-04-01", "victim_phone_median_hours_held")][:3] == (1, 1, 48.0)
    # June: both phones still held (censored at T), S never falls to 1/2: no row.
    assert absent(kpis, "AAA", 6, "victim_phone_median_hours_held")
    assert kpis[("ALL", "2026-01-01", "victim_phone_median_hours_held")][:3] == (2, 2, 24.0)

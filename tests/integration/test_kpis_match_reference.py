"""Property test: on random extracts crowded around the catalogue's boundaries (7, 28 and 30
days, 24 hours, month ends in BST, the extract instant, even counts, 15 open cases per
officer, age-band edges, blank codes), every KPI row of every catalogue KPI, breakdown rows
included, equals the independent plain-Python implementation in tests/reference_kpis.py."""

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_pipeline, write_extract
from tests.integration.test_nightly_job import assert_matches_reference

LONDON = ZoneInfo("Europe/London")
INSTANTS = ["2026-06-30T23:30:00+00:00", "2026-03-29T00:30:00+00:00", "2026-10-31T23:00:00+00:00",
            "2026-07-15T12:00:00+01:00"]  # fmt: skip
DAY_GAPS = [0, 1, 6, 7, 8, 29, 30, 31, 45, 90]
ISVA_GAPS = [None, None, -3, -1, 0, 6, 7, 8, 20]  # a referral before the report counts
HOUR_GAPS = [0.5, 23.99, 24.0, 24.0 + 1 / 3600, 25, 48, 200, 900]
EXAMINATION_HOURS = [None, 0.5, 24.0, 24 * 7, 24 * 7 + 1 / 3600, 24 * 30, 24 * 45]
OUTCOMES = ["1", "1A", "14", "15", "16", "18", "20", None, None]
OFFENCES = ["19C", "19H", "17A", "20B"]
AGES = [None, 15, 16, 17, 18, 24, 25, 54, 55, 0, 120]
SEXES = [None, "unknown", "female", "female", "male", "other"]
ETHNICITIES = [None, "unknown", "white", "black", "asian", "mixed", "other"]
RELATIONSHIPS = [None, "unknown", "intimate", "family", "acquaintance", "stranger", "other"]
BOOLEANS = [None, "true", "false"]
SUPPORT = [None, "supports", "does_not_support", "unknown"]
# Tiny pools: suspects recur within a force, and the same pseudonym appears in both forces
# (a different person there: never a repeat across forces). Officers recur too.
SUSPECTS = [None, None, "S1", "S1", "S2", "S3"]
OFFICERS = [None, "O1", "O2", "O3"]
CONTACT_TYPES = ["update", "update", "needs_assessment", "nfa_explained", "other"]


def iso(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


def month_end(day: date, d_t: date) -> date:
    """E of the month of `day`: min(last day of that month, D_T)."""
    first_of_next = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return min(first_of_next - timedelta(days=1), d_t)


def month_ends_from(day: date, d_t: date) -> list[date]:
    """Every E from the month of `day` to the month of D_T."""
    ends, current = [], day
    while current <= d_t:
        end = month_end(current, d_t)
        ends.append(end)
        current = end + timedelta(days=1)
    return ends


def draw_date(draw, base: date, gaps: list, d_t: date) -> date | None:
    gap = draw(st.sampled_from(gaps))
    if gap is None or base + timedelta(days=gap) > d_t:
        return None
    return base + timedelta(days=gap)


def draw_case(draw, case_id: str, reported: date, d_t: date, officer: str | None) -> dict:
    case = {
        "case_id": case_id,
        "offence_code": draw(st.sampled_from(OFFENCES)),
        "reported_date": reported.isoformat(),
        "victim_age": draw(st.sampled_from(AGES)),
        "victim_sex": draw(st.sampled_from(SEXES)),
        "victim_ethnicity": draw(st.sampled_from(ETHNICITIES)),
        "relationship": draw(st.sampled_from(RELATIONSHIPS)),
        "domestic_abuse": draw(st.sampled_from(BOOLEANS)),
        "victim_support_at_report": draw(st.sampled_from(SUPPORT)),
        "officer_id": officer,
    }
    suspect = draw(st.sampled_from(SUSPECTS))
    if suspect is not None:
        case.update(
            suspect_id=suspect,
            suspect_age=draw(st.sampled_from(AGES)),
            suspect_sex=draw(st.sampled_from(SEXES)),
            suspect_ethnicity=draw(st.sampled_from(ETHNICITIES)),
        )
    # Withdrawal: a day gap, or exactly on a month end E (a snapshot boundary).
    if draw(st.booleans()):
        withdrawn = draw_date(draw, reported, [None, *DAY_GAPS], d_t)
    else:
        withdrawn = draw(st.sampled_from([None, *month_ends_from(reported, d_t)]))
    if withdrawn is not None:
        case["victim_withdrawal_date"] = withdrawn.isoformat()
    code = draw(st.sampled_from(OUTCOMES))
    outcome = draw_date(draw, reported, DAY_GAPS, d_t) if draw(st.booleans()) else None
    if outcome is None and draw(st.booleans()):
        outcome = draw(st.sampled_from(month_ends_from(reported, d_t)))  # closed on E: not open at E
    if code and outcome is not None:
        case.update(outcome_code=code, outcome_date=outcome.isoformat())
    isva = draw_date(draw, reported, ISVA_GAPS, d_t)
    if isva is not None:
        case["isva_referral_date"] = isva.isoformat()
    requested = draw_date(draw, reported, [None, 0, 3, 10], d_t)
    if requested is not None:
        case["early_advice_requested_date"] = requested.isoformat()
    received = draw_date(draw, requested or reported, [None, 0, 1, 7, 28], d_t)
    if received is not None:  # sometimes without a requested date: then not in n
        case["early_advice_received_date"] = received.isoformat()
    cps = draw_date(draw, reported, [None, None, -2, 0, 5, 30, 60], d_t)
    if cps is not None:
        case["cps_referral_date"] = cps.isoformat()
    return case


def draw_contacts(draw, case: dict, d_t: date) -> list[dict]:
    reported = date.fromisoformat(case["reported_date"])
    ends = month_ends_from(reported, d_t)
    contacts = []
    for _ in range(draw(st.integers(0, 3))):
        end = draw(st.sampled_from(ends))
        # E - 28 is just outside the window, E - 27 just inside, E and D_T the top edge.
        day = draw(st.sampled_from([end - timedelta(days=28), end - timedelta(days=27), end, d_t,
                                    reported, reported + timedelta(days=draw(st.integers(0, 60)))]))  # fmt: skip
        if day <= d_t:
            kind = draw(st.sampled_from(CONTACT_TYPES))
            contacts.append({"case_id": case["case_id"], "contact_date": day.isoformat(), "contact_type": kind})
    return contacts


def draw_devices(draw, case: dict, number: str, t: datetime) -> list[dict]:
    reported = date.fromisoformat(case["reported_date"])
    devices = []
    for device_number in range(draw(st.integers(0, 2))):
        device = {"device_id": f"{number}-{device_number}", "case_id": case["case_id"],
                  "owner": draw(st.sampled_from(["victim", "victim", "suspect", "suspect", "other"])),
                  "consent": draw(st.sampled_from(["given", "refused", "not_required", None]))}  # fmt: skip
        if draw(st.booleans()):
            device["requested_date"] = reported.isoformat()
        if draw(st.booleans()):
            # Seized on a whole hour before T, often just either side of a London midnight.
            seized = t - timedelta(hours=draw(st.integers(0, 24 * 100)))
            device["seized_at"] = iso(seized)
            for column in ("returned_at", "replacement_at"):
                held = draw(st.sampled_from([None, *HOUR_GAPS]))
                if held is not None and seized + timedelta(hours=held) <= t:
                    device[column] = iso(seized + timedelta(hours=held))
            examined = draw(st.sampled_from(EXAMINATION_HOURS))
            if examined is not None and seized + timedelta(hours=examined) <= t:
                device["examined_at"] = iso(seized + timedelta(hours=examined))
        devices.append(device)
    return devices


def draw_workforce(draw, d_t: date) -> list[dict] | None:
    if not draw(st.booleans()):
        return None  # workforce.csv is optional
    months = []
    current = d_t.replace(day=1)
    for _ in range(5):  # D_T's month and the four before it (never after: that is quarantined)
        months.append(current.strftime("%Y-%m"))
        current = (current - timedelta(days=1)).replace(day=1)
    rows = []
    for officer in ("O1", "O2", "O3", "OB", "W9"):  # W9 is on no case
        for month in months:
            if draw(st.booleans()):
                contracted = draw(st.sampled_from(["20", "20.5", "1", "0.5"]))
                sickness = draw(st.sampled_from(["0", contracted, "0.5", "0.25"]))
                if float(sickness) > float(contracted):
                    sickness = contracted
                accredited = draw(st.sampled_from(["true", "false"]))
                rows.append({"officer_id": officer, "month": month, "accredited": accredited,
                             "contracted_days": contracted, "sickness_days": sickness})  # fmt: skip
    return rows


@st.composite
def extract(draw, force: str):
    t = datetime.fromisoformat(draw(st.sampled_from(INSTANTS)))
    d_t = t.astimezone(LONDON).date()
    cases, devices, contacts = [], [], []
    for number in range(draw(st.integers(1, 14))):
        # Often exactly 6, 7 or 8 days before D_T (the isva 7-day eligibility edge).
        back = draw(st.one_of(st.integers(0, 120), st.sampled_from([6, 7, 8, 27, 28, 29])))
        reported = d_t - timedelta(days=back)
        case = draw_case(draw, f"{force}{number}", reported, d_t, draw(st.sampled_from(OFFICERS)))
        cases.append(case)
        devices += draw_devices(draw, case, f"{force}{number}", t)
        contacts += draw_contacts(draw, case, d_t)
    # Sometimes one officer carries 15, 16 or 17 cases; some of them close on a month end,
    # so the officer's open count crosses 15 between snapshots.
    if draw(st.booleans()):
        reported = d_t - timedelta(days=draw(st.integers(0, 90)))
        closing = draw(st.integers(0, 2))  # only the first few keep a drawn outcome
        for number in range(draw(st.sampled_from([15, 16, 17]))):
            case = draw_case(draw, f"{force}B{number}", reported, d_t, "OB")
            if number >= closing:
                case.pop("outcome_code", None)
                case.pop("outcome_date", None)
            cases.append(case)
            contacts += draw_contacts(draw, case, d_t)
    return t.isoformat(), cases, devices, contacts, draw_workforce(draw, d_t)


# FLIGHTDECK_PROPERTY_EXAMPLES=80 for a longer hunt (80 examples agreed when this was written).
EXAMPLES = int(os.environ.get("FLIGHTDECK_PROPERTY_EXAMPLES", "12"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_extracts_agree_with_reference(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("prop")
    inbox = tmp / "inbox"
    for force in data.draw(st.sampled_from([["PA"], ["PA", "PB"]])):
        extracted_at, cases, devices, contacts, workforce = data.draw(extract(force))
        write_extract(inbox, force, extracted_at, cases, devices, contacts, workforce)
    result, _out, _warehouse = run_pipeline(inbox, tmp)
    assert result.success
    assert_matches_reference(inbox, tmp / "out")

"""Property test: on random extracts crowded around the catalogue's boundaries (7 and 30
days, 24 hours, month ends in BST, the extract instant, even counts), every KPI row equals
the independent plain-Python implementation in tests/reference_kpis.py."""

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dagster import materialize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.definitions import ALL_ASSETS
from pipelines.resources import settings_from_env, warehouse_from_env
from tests.conftest import write_extract
from tests.integration.test_nightly_job import assert_matches_reference

LONDON = ZoneInfo("Europe/London")
INSTANTS = ["2026-06-30T23:30:00+00:00", "2026-03-29T00:30:00+00:00", "2026-10-31T23:00:00+00:00",
            "2026-07-15T12:00:00+01:00"]  # fmt: skip
DAY_GAPS = [0, 1, 6, 7, 8, 29, 30, 31, 45, 90]
HOUR_GAPS = [0.5, 23.99, 24.0, 24.0 + 1 / 3600, 25, 48, 200, 900]
OUTCOMES = ["1", "1A", "14", "15", "16", "18", "20", None, None]


def iso(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


@st.composite
def extract(draw, force: str):
    t = datetime.fromisoformat(draw(st.sampled_from(INSTANTS)))
    d_t = t.astimezone(LONDON).date()
    cases, devices = [], []
    for number in range(draw(st.integers(1, 14))):
        reported = d_t - timedelta(days=draw(st.integers(0, 120)))
        case = {"case_id": f"{force}{number}", "offence_code": "19C", "reported_date": reported.isoformat()}
        gap = draw(st.sampled_from([None, *DAY_GAPS]))
        if gap is not None and reported + timedelta(days=gap) <= d_t:
            case["victim_withdrawal_date"] = (reported + timedelta(days=gap)).isoformat()
        code, gap = draw(st.sampled_from(OUTCOMES)), draw(st.sampled_from(DAY_GAPS))
        if code and reported + timedelta(days=gap) <= d_t:
            case.update(outcome_code=code, outcome_date=(reported + timedelta(days=gap)).isoformat())
        cases.append(case)
        for device_number in range(draw(st.integers(0, 2))):
            device = {"device_id": f"{force}{number}-{device_number}", "case_id": case["case_id"],
                      "owner": draw(st.sampled_from(["victim", "victim", "suspect"])),
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
            devices.append(device)
    return t.isoformat(), cases, devices


# FLIGHTDECK_PROPERTY_EXAMPLES=80 for a longer hunt (80 examples agreed when this was written).
EXAMPLES = int(os.environ.get("FLIGHTDECK_PROPERTY_EXAMPLES", "12"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_extracts_agree_with_reference(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("prop")
    inbox = tmp / "inbox"
    for force in data.draw(st.sampled_from([["PA"], ["PA", "PB"]])):
        extracted_at, cases, devices = data.draw(extract(force))
        write_extract(inbox, force, extracted_at, cases, devices, [])
    result = materialize(
        ALL_ASSETS,
        resources={
            "settings": settings_from_env(inbox=str(inbox), out_dir=str(tmp / "out")),
            "warehouse": warehouse_from_env(str(tmp / "w.duckdb")),
        },
    )
    assert result.success
    assert_matches_reference(inbox, tmp / "out")

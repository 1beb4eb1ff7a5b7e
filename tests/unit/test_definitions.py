"""The definitions load, validate with Dagster's own command, and have the expected graph."""

import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from pipelines.contract import TABLES
from pipelines.definitions import build_defs
from pipelines.kpis import KPIS

REPO = Path(__file__).resolve().parents[2]


def test_asset_graph_has_every_stage_and_kpi():
    defs = build_defs()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    expected = {"extract_inventory", "extract_verdicts", "force_ranges", "kpi_monthly", "published_version"}
    expected |= {"adapted_extracts", "force_month_ends", "open_cases_at_month_end"}
    expected |= {"kpi_catalogue", "kpi_spc", "kpi_funnel", "kpi_export", "attrition_curve", "force_supplied_files"}
    expected |= {f"{stage}_{t.name}" for stage in ("stage", "screened", "quarantine", "valid") for t in TABLES}
    expected |= {k.kpi_id for k in KPIS}
    assert keys == expected
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["adapted_extracts"] == "adapt"
    assert groups["extract_inventory"] == "discover" and groups["stage_cases"] == "stage"
    assert groups["valid_cases"] == "validate" and groups["quarantine_cases"] == "validate"
    assert groups["withdrawal_rate"] == "kpi" and groups["kpi_spc"] == "kpi"
    # Each KPI asset depends on the tables its SQL reads: the snapshot KPIs on the open cases.
    upstream = {k.to_user_string() for k in graph.get(AssetKey("victim_updated_within_28d")).parent_keys}
    assert {"open_cases_at_month_end", "valid_contacts", "force_ranges"} <= upstream
    assert "valid_devices" not in upstream
    assert groups["published_version"] == "publish"
    checks = {c.name for c in graph.asset_check_keys}
    assert checks == {"some_extract_accepted", "cases_not_shrunk"} | {f"{t.name}_contract" for t in TABLES}
    schedule = defs.resolve_schedule_def("nightly_0200_london")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Europe/London")
    assert defs.resolve_sensor_def("new_extract_sensor").job_name == "nightly"


def test_dagster_definitions_validate_passes():
    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr

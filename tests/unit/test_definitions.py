"""The definitions load, validate with Dagster's own command, and have the expected graph."""

import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from pipelines.definitions import build_defs

REPO = Path(__file__).resolve().parents[2]
PER_FORCE = {"extract_rows", "valid_rows", "kpi_partials"}


def test_asset_graph_has_every_stage_partitioned_by_force():
    defs = build_defs()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == PER_FORCE | {
        "adapted_extracts", "extract_inventory", "extract_verdicts", "kpi_catalogue", "kpi_monthly", "kpi_spc",
        "kpi_funnel", "kpi_export", "attrition_curve", "published_version",
    }  # fmt: skip
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["adapted_extracts"] == groups["extract_inventory"] == "discover"
    assert groups["extract_rows"] == "stage"
    assert groups["valid_rows"] == groups["extract_verdicts"] == "validate"
    assert groups["kpi_partials"] == groups["kpi_monthly"] == groups["kpi_spc"] == "kpi"
    assert groups["published_version"] == "publish"
    for key in graph.get_all_asset_keys():
        partitions = graph.get(key).partitions_def
        assert (partitions is not None) == (key.to_user_string() in PER_FORCE), key
        if partitions is not None:
            assert partitions.name == "forces"
    # The national roll-up reads every force's partials; the publication comes last.
    assert AssetKey("kpi_partials") in graph.get(AssetKey("extract_verdicts")).parent_keys
    assert AssetKey("kpi_monthly") in graph.get(AssetKey("published_version")).parent_keys
    checks = {c.name for c in graph.asset_check_keys}
    assert checks == {"contract_suites", "some_extract_accepted", "cases_not_shrunk"}
    schedule = defs.resolve_schedule_def("nightly_0200_london")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 2 * * *", "Europe/London", "discover",
    )  # fmt: skip
    assert defs.resolve_sensor_def("new_extract_sensor").job_name == "discover"
    assert {j.name for j in defs.resolve_all_job_defs()} >= {"discover", "nightly", "force_partitions", "national"}


def test_dagster_definitions_validate_passes():
    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr

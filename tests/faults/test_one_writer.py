"""Issue 8, problem 1: two runs on one warehouse never publish each other's data."""

import os
import subprocess
import sys

from tests.faults.conftest import Run, inbox_hashes, latest, published_extract_hashes, run_args


def test_a_second_run_on_the_same_warehouse_stops_at_once_naming_the_holder(baseline, tmp_path):
    warehouse, out_a = baseline.workspace(tmp_path)
    out_b = tmp_path / "out-b"
    release = tmp_path / "release"
    first = Run(*run_args(baseline.inboxes["A"], out_a, warehouse),
                env={"FLIGHTDECK_PAUSE_AT": "publish", "FLIGHTDECK_PAUSE_FILE": str(release)})  # fmt: skip
    first.wait_for("paused at publish")
    second = Run(*run_args(baseline.inboxes["B"], out_b, warehouse))
    assert second.finish() == 2
    assert f"is in use by process {first.process.pid}" in second.stderr
    assert "nothing was published" in second.stderr
    assert latest(out_b) is None
    release.touch()
    assert first.finish() == 0, first.stderr
    assert published_extract_hashes(latest(out_a)) <= inbox_hashes(baseline.inboxes["A"])


def test_with_wait_the_second_run_publishes_its_own_inbox_after_the_first(baseline, tmp_path):
    warehouse, out_a = baseline.workspace(tmp_path)
    out_b = tmp_path / "out-b"
    release = tmp_path / "release"
    first = Run(*run_args(baseline.inboxes["A"], out_a, warehouse),
                env={"FLIGHTDECK_PAUSE_AT": "publish", "FLIGHTDECK_PAUSE_FILE": str(release)})  # fmt: skip
    first.wait_for("paused at publish")
    second = Run(*run_args(baseline.inboxes["B"], out_b, warehouse, "--wait"))
    second.wait_for("waiting")
    release.touch()
    assert first.finish() == 0, first.stderr
    assert second.finish() == 0, second.stderr
    a, b = latest(out_a), latest(out_b)
    assert published_extract_hashes(a) <= inbox_hashes(baseline.inboxes["A"])
    assert published_extract_hashes(b) <= inbox_hashes(baseline.inboxes["B"])
    assert (a / "kpi_monthly.csv").read_bytes() == (baseline.versions["A"] / "kpi_monthly.csv").read_bytes()
    assert (b / "kpi_monthly.csv").read_bytes() == (baseline.versions["B"] / "kpi_monthly.csv").read_bytes()


def test_runs_on_two_warehouses_go_side_by_side_each_with_its_own_data(baseline, tmp_path):
    warehouse_a, out_a = baseline.workspace(tmp_path / "a")
    warehouse_b, out_b = baseline.workspace(tmp_path / "b", "B")
    first = Run(*run_args(baseline.inboxes["A"], out_a, warehouse_a))
    second = Run(*run_args(baseline.inboxes["B"], out_b, warehouse_b))
    assert first.finish() == 0, first.stderr
    assert second.finish() == 0, second.stderr
    assert (latest(out_a) / "kpi_monthly.csv").read_bytes() == (baseline.versions["A"] / "kpi_monthly.csv").read_bytes()
    assert (latest(out_b) / "kpi_monthly.csv").read_bytes() == (baseline.versions["B"] / "kpi_monthly.csv").read_bytes()


def test_runs_starting_together_on_a_new_dagster_instance_each_find_its_tables(tmp_path):
    """Found when two runs on two warehouses started at once with a new DAGSTER_HOME: each made the
    instance's SQLite tables, and one stopped with "table ... already exists"."""
    home = tmp_path / "dagster-home"
    script = "from pipelines.cli import open_instance; open_instance().get_runs(limit=1)"
    starts = [
        subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "DAGSTER_HOME": str(home)},
                         stderr=subprocess.PIPE, text=True)  # fmt: skip
        for _ in range(4)
    ]
    errors = [start.communicate()[1] for start in starts]
    assert [start.returncode for start in starts] == [0] * 4, errors

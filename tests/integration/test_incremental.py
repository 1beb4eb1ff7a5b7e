"""Issue 12: reuse by content gives the same outputs as a run from scratch, forces can run in
separate processes, and the bits never depend on how work was split or threaded."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.synth import write_inbox
from tests.conftest import run_pipeline

DATA_FILES = ("kpi_monthly.parquet", "kpi_monthly.csv", "kpi_spc.parquet", "kpi_export.parquet", "kpi_export.csv",
              "attrition_curve.parquet")  # fmt: skip
FLIGHTDECK = Path(sys.executable).parent / "flightdeck"


def published(out: Path) -> dict[str, bytes]:
    version = out / json.loads((out / "latest.json").read_text())["path"]
    return {name: (version / name).read_bytes() for name in DATA_FILES}


def test_a_new_extract_reuses_the_rest_and_publishes_what_a_fresh_run_would(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox, forces=3, years=2, seed=21, cases_per_force_year=80)
    result, out, _ = run_pipeline(inbox, tmp_path / "nightly")
    assert result.success
    # The next night one force sends a new extract; the other forces' work is reused.
    arrival = tmp_path / "arrival"
    write_inbox(arrival, forces=1, years=2, seed=22, cases_per_force_year=80, extracted_at="2026-11-01T23:00:00+00:00")
    (new,) = [p.parent for p in arrival.rglob("manifest.json")]
    shutil.copytree(new, inbox / new.relative_to(arrival))
    result, out, _ = run_pipeline(inbox, tmp_path / "nightly", out=out)
    events = {
        e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    assert events["extract_rows"]["extracts_staged"].value == 1
    assert events["extract_rows"]["extracts_reused"].value == 3
    assert events["kpi_partials"]["forces_computed"].value == 1
    assert events["kpi_partials"]["forces_reused"].value == 2
    _, fresh, _ = run_pipeline(inbox, tmp_path / "fresh")
    assert published(out) == published(fresh)


def test_forces_in_separate_worker_processes_give_the_in_process_outputs(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox, forces=2, years=2, seed=23, cases_per_force_year=80)
    _, in_process, _ = run_pipeline(inbox, tmp_path / "one")
    completed = subprocess.run(
        [str(FLIGHTDECK), "run", "--extracts", str(inbox), "--out", str(tmp_path / "two" / "out"),
         "--warehouse", str(tmp_path / "two" / "w.duckdb"), "--workers", "2"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "force worker" not in completed.stderr  # no worker failed
    assert published(tmp_path / "two" / "out") == published(in_process)


def test_more_threads_than_rows_per_group_change_no_bit(tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox, forces=3, years=2, seed=24, cases_per_force_year=40)
    _, one, _ = run_pipeline(inbox, tmp_path / "one", duckdb_threads=1)
    _, many, _ = run_pipeline(inbox, tmp_path / "many", duckdb_threads=16)
    assert published(one) == published(many)

"""Issue 8, problems 2 and 4: failures end with their real cause, exit 2, and nothing published or damaged."""

import subprocess
from contextlib import contextmanager
from pathlib import Path

from tests.faults.conftest import data_bytes, flightdeck, latest, run_args


@contextmanager
def tmpfs(folder: Path, size: str, read_only: bool = False):
    """A small file system mounted at `folder` (root can mount here and in CI)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def one_line_failure(run) -> str:
    assert run.process.returncode == 2, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("flightdeck: ") and "nothing was published" in last, run.stderr
    assert "Traceback" not in run.stderr
    return last


def test_a_read_only_output_folder(baseline, tmp_path):
    warehouse, out = baseline.workspace(tmp_path)
    with tmpfs(out, "4m", read_only=True):
        run = flightdeck(*run_args(baseline.inboxes["A"], out, warehouse))
        assert "read-only file system" in one_line_failure(run)


def test_a_full_output_disk(baseline, tmp_path):
    warehouse, out = baseline.workspace(tmp_path)
    with tmpfs(out, "96k"):
        run = flightdeck(*run_args(baseline.inboxes["A"], out, warehouse))
        line = one_line_failure(run)
        assert "no space left on the device" in line
        assert latest(out) is None and [p.name for p in (out / "versions").iterdir()] == []


def test_a_full_warehouse_disk(baseline, tmp_path):
    folder = tmp_path / "small"
    with tmpfs(folder, "1m"):
        run = flightdeck(*run_args(baseline.inboxes["A"], tmp_path / "out", folder / "w.duckdb"))
        assert "no space left on the device" in one_line_failure(run)
    assert latest(tmp_path / "out") is None


def test_a_warehouse_path_that_is_not_a_duckdb_file(baseline, tmp_path):
    (tmp_path / "w.duckdb").write_text("not a database\n" * 10)
    run = flightdeck(*run_args(baseline.inboxes["A"], tmp_path / "out", tmp_path / "w.duckdb"))
    assert "exists but is not a DuckDB database file" in one_line_failure(run)
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    run = flightdeck(*run_args(baseline.inboxes["A"], tmp_path / "out", folder))
    assert "is a folder, not a DuckDB database file" in one_line_failure(run)


def test_the_adapted_area_or_the_output_may_not_overlap_what_a_run_keeps(baseline, tmp_path):
    warehouse, out = baseline.workspace(tmp_path)
    run = flightdeck(*run_args(baseline.inboxes["A"], out, warehouse))
    assert run.process.returncode == 0, run.stderr
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run = flightdeck(*run_args(baseline.inboxes["A"], out, warehouse), env={"FLIGHTDECK_ADAPTED": str(out)})
    assert "the adapted area" in one_line_failure(run)
    run = flightdeck(*run_args(baseline.inboxes["A"], baseline.inboxes["A"] / "out", warehouse))
    assert "must not be inside the inbox" in one_line_failure(run)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_leftovers_of_an_interrupted_publish_are_cleared_and_versions_are_read_only(baseline, tmp_path):
    warehouse, out = baseline.workspace(tmp_path)
    (out / "versions" / ".incomplete-99999-20260101T000000000000").mkdir(parents=True)
    (out / "versions" / ".incomplete-99999-20260101T000000000000" / "kpi_monthly.csv").write_text("half\n")
    (out / ".latest-99999.json").write_text("{}")
    run = flightdeck(*run_args(baseline.inboxes["A"], out, warehouse))
    assert run.process.returncode == 0, run.stderr
    version = latest(out)
    assert [p.name for p in (out / "versions").iterdir()] == [version.name]
    assert not list(out.glob(".latest-*"))
    assert version.stat().st_mode & 0o777 == 0o555
    assert all(p.stat().st_mode & 0o777 == (0o555 if p.is_dir() else 0o444) for p in version.rglob("*"))


def test_a_warehouse_written_by_an_earlier_version_is_brought_up_to_date(baseline, tmp_path):
    # Earlier versions kept the valid rows as tables and could leave a view where a table is kept
    # now; `create or replace` cannot change an object's kind, so the run must replace them itself.
    import duckdb

    warehouse, out = baseline.workspace(tmp_path)
    con = duckdb.connect(str(warehouse))
    con.execute("create table valid_cases (case_id varchar)")
    con.execute("create view quarantine_devices as select 1 as x")
    con.execute("create view kpi_monthly as select 1 as x")
    con.close()
    run = flightdeck(*run_args(baseline.inboxes["A"], out, warehouse))
    assert run.process.returncode == 0, run.stderr
    assert data_bytes(latest(out)) == data_bytes(baseline.versions["A"])

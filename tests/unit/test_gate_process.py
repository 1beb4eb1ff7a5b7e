"""The quality gate run in its own process (as `flightdeck run` does) finds what the gate run in
the calling process finds: the same failed rules, counts and examples; its errors reach the
caller as errors; a process started and not used is ended."""

from pathlib import Path

import duckdb
import pytest

from pipelines import gate_process
from pipelines.contract import TABLES
from pipelines.duck import DuckDBLimits
from pipelines.extract_store import stage_and_screen
from pipelines.extracts import inspect_extract
from pipelines.quality import gate_here, run_gate

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "inbox"


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory) -> dict[str, list[str]]:
    """The sample NORTHA extract's valid rows, with one valid case given a victim_sex outside the
    code list (as if screening had missed it): the committed cases suite must catch that row."""
    folder = tmp_path_factory.mktemp("gate")
    extract = inspect_extract(SAMPLE / "NORTHA" / "2026-10-31", SAMPLE)
    result = stage_and_screen(extract, folder / "cache")
    broken = folder / "cases.parquet"
    duckdb.execute(
        f"copy (select * replace (case when row_number() over (order by case_id) = 1 then 'F' "
        f"else victim_sex end as victim_sex) from read_parquet('{result.valid_path('cases')}')) "
        f"to '{broken}' (format parquet)"
    )
    files = {t.name: [str(result.valid_path(t.name))] for t in TABLES}
    files["cases"] = [str(broken)]
    return files


def test_the_gate_in_its_own_process_finds_what_the_gate_here_finds(valid_files, tmp_path):
    limits = DuckDBLimits("512MB", 2, str(tmp_path / "spill"))
    here = gate_here(valid_files, limits)
    gate_process.start()
    worker = gate_process._process
    there = run_gate(valid_files, limits)
    assert worker.returncode == 0  # the results came from that process, which has ended
    assert there == here
    assert there["cases"].failures == {"cases.victim_sex.code_list": 1}
    assert there["cases"].examples["cases.victim_sex.code_list"] == ["F"]
    assert all(result.success for name, result in there.items() if name != "cases")
    for table in TABLES:  # every suite's rows, those that passed included
        assert there[table.name].rows == duckdb.execute(
            f"select count(*) from '{valid_files[table.name][0]}'"
        ).fetchone()[0]


def test_an_error_in_the_gate_process_is_raised_in_the_run(valid_files, tmp_path):
    missing = {**valid_files, "devices": [str(tmp_path / "no-such.parquet")]}
    gate_process.start()
    with pytest.raises(duckdb.IOException, match="no-such.parquet"):
        run_gate(missing, DuckDBLimits(temp_directory=str(tmp_path)))


def test_a_gate_process_not_used_is_ended():
    gate_process.start()
    started = gate_process._process
    gate_process.stop()
    assert started.poll() is not None
    assert gate_process.run({}, None) is None  # nothing started: the caller gates in its own process

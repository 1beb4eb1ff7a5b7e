"""Fault injection: `flightdeck run` as an operator runs it, in its own process, with faults.

Every test starts the real command line. Runs reuse a warm cache (the content-addressed store
of a clean run) wherever the fault does not need the work redone, so the suite stays quick.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.synth import write_inbox

FLIGHTDECK = Path(sys.executable).parent / "flightdeck"
DATA_FILES = ("kpi_monthly.parquet", "kpi_monthly.csv", "kpi_spc.parquet", "kpi_export.parquet", "kpi_export.csv",
              "attrition_curve.parquet")  # fmt: skip


class Run:
    """A `flightdeck` process whose stderr is read as it runs."""

    def __init__(self, *args: str, env: dict | None = None):
        self.process = subprocess.Popen(
            [str(FLIGHTDECK), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        self.lines: list[str] = []
        self.stdout = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r}; stderr:\n{self.stderr}")
            time.sleep(0.05)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish(self, timeout: float = 600) -> int:
        self.stdout = self.process.stdout.read()
        code = self.process.wait(timeout)
        self._reader.join(timeout=10)
        return code


def flightdeck(*args: str, env: dict | None = None) -> Run:
    """Run `flightdeck` to completion."""
    run = Run(*args, env=env)
    run.finish()
    return run


def run_args(inbox: Path, out: Path, warehouse: Path, *more: str) -> list[str]:
    return ["run", "--extracts", str(inbox), "--out", str(out), "--warehouse", str(warehouse), *more]


def latest(out: Path) -> Path | None:
    pointer = out / "latest.json"
    return out / json.loads(pointer.read_text())["path"] if pointer.exists() else None


def data_bytes(version: Path) -> dict[str, bytes]:
    """The published data files of a version (the manifest and page carry the time of the run)."""
    return {name: (version / name).read_bytes() for name in DATA_FILES}


def published_extract_hashes(version: Path) -> set[str]:
    manifest = json.loads((version / "manifest.json").read_text())
    return {f["sha256"] for e in manifest["extracts"] for f in e["files"].values()}


def inbox_hashes(inbox: Path) -> set[str]:
    import hashlib

    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.rglob("*.csv")}


@dataclass
class Baseline:
    """Clean runs of the two inboxes: their published data and their warm caches."""

    inboxes: dict[str, Path]
    versions: dict[str, Path]
    caches: dict[str, Path]

    def workspace(self, root: Path, name: str = "A", layers=("extracts", "gate", "kpi")) -> tuple[Path, Path]:
        """A warehouse path (with the chosen layers of the inbox's warm cache) and an output folder."""
        warehouse = root / "w.duckdb"
        cache = root / "w.duckdb.state" / "cache"
        cache.mkdir(parents=True)
        for layer in layers:
            if (self.caches[name] / layer).exists():
                shutil.copytree(self.caches[name] / layer, cache / layer)
        return warehouse, root / "out"


@pytest.fixture(scope="session")
def baseline(tmp_path_factory) -> Baseline:
    root = tmp_path_factory.mktemp("faults")
    inboxes = {"A": root / "A", "B": root / "B"}
    write_inbox(inboxes["A"], forces=2, years=1, seed=11, cases_per_force_year=60)
    write_inbox(inboxes["B"], forces=1, years=1, seed=12, cases_per_force_year=60,
                extracted_at="2026-10-30T23:00:00+00:00")  # fmt: skip
    versions, caches = {}, {}
    for name, inbox in inboxes.items():
        run = flightdeck(*run_args(inbox, root / f"out-{name}", root / f"w-{name}.duckdb"),
                         env={"DAGSTER_HOME": str(root / "dagster")})  # fmt: skip
        assert run.process.returncode == 0, run.stderr
        versions[name] = latest(root / f"out-{name}")
        caches[name] = root / f"w-{name}.duckdb.state" / "cache"
    return Baseline(inboxes, versions, caches)



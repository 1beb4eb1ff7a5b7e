"""Shared fixtures: every output goes under tmp_path, and small extracts are written by hand."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import duckdb
import pytest

from pipelines.contract import TABLES_BY_NAME

Z = 1.959963984540054  # the catalogue's z for Wilson 95% intervals


def wilson(x: float, n: float) -> tuple[float, float]:
    """Wilson score interval written out from the textbook formula."""
    p = x / n
    denominator = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denominator
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@pytest.fixture(scope="session")
def chart_cache(tmp_path_factory):
    """One flight deck chart cache for the whole session: charts are keyed by their content, so
    pipeline runs on the same data draw each chart once."""
    return tmp_path_factory.mktemp("chart-cache")


@pytest.fixture(autouse=True)
def outputs_in_tmp(tmp_path, monkeypatch, chart_cache):
    """Unit tests can never touch the repository's outputs or warehouse."""
    monkeypatch.setenv("FLIGHTDECK_CHART_CACHE", str(chart_cache))
    monkeypatch.setenv("FLIGHTDECK_OUT", str(tmp_path / "env-outputs"))
    monkeypatch.setenv("FLIGHTDECK_WAREHOUSE", str(tmp_path / "env-warehouse.duckdb"))
    monkeypatch.setenv("FLIGHTDECK_INBOX", str(tmp_path / "env-inbox"))
    monkeypatch.delenv("FLIGHTDECK_ADAPTED", raising=False)
    (tmp_path / "env-dagster-home").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "env-dagster-home"))


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in header])


def write_extract(
    inbox: Path,
    force: str,
    extracted_at: str,
    cases: list[dict] = (),
    devices: list[dict] = (),
    contacts: list[dict] = (),
    workforce: list[dict] | None = None,
    folder: str | None = None,
    manifest: dict | None = None,
    suspect_actions: list[dict] | None = None,
    victim_survey: list[dict] | None = None,
) -> Path:
    """Write one canonical extract; every contract column is in the header. An optional table
    given as None has no file; an empty list writes a header-only file."""
    path = inbox / force / (folder or extracted_at[:10])
    path.mkdir(parents=True)
    document = {"schema_version": "1.0", "force_code": force, "extracted_at": extracted_at}
    (path / "manifest.json").write_text(json.dumps(manifest if manifest is not None else document))
    tables = {"cases": cases, "devices": devices, "contacts": contacts, "workforce": workforce,
              "suspect_actions": suspect_actions, "victim_survey": victim_survey}  # fmt: skip
    for name, rows in tables.items():
        if rows is None:
            continue
        write_csv(path / f"{name}.csv", list(TABLES_BY_NAME[name].column_names), list(rows))
    return path


def run_pipeline(inbox: Path, tmp_path: Path, threshold: float = 0.05, out: Path | None = None, **overrides):
    """Run discovery and the nightly job in-process on `inbox`; return (result, out, warehouse).

    The warehouse (and its state folder, with the adapted extracts) is under `tmp_path`; an
    error in a step is raised as it was.
    """
    from dagster import DagsterInstance

    from pipelines.definitions import build_defs
    from pipelines.nightly import run_nightly
    from pipelines.resources import settings_from_env

    out = out or tmp_path / "out"
    warehouse = tmp_path / "warehouse.duckdb"
    settings = settings_from_env(
        inbox=str(inbox), out_dir=str(out), quarantine_threshold=threshold, warehouse=str(warehouse), **overrides
    )
    with DagsterInstance.ephemeral() as instance:
        outcome = run_nightly(build_defs(settings), instance, settings, logged=False)
    return outcome.result, out, warehouse


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def latest_kpis(out: Path) -> dict:
    """{(force, period iso, kpi_id): (numerator, denominator, value, ci_low, ci_high)} of the latest version
    (breakdown `all`; the provisional flag is left out)."""
    pointer = json.loads((out / "latest.json").read_text())
    rows = duckdb.sql(f"select * from read_parquet('{out / pointer['path'] / 'kpi_monthly.parquet'}')").fetchall()
    return {(r[0], r[1].isoformat(), r[2]): tuple(r[4:9]) for r in rows if r[3] == "all"}

"""Publishing a run as an immutable, versioned folder, then moving the `latest` pointer.

A version is written into a hidden temporary folder, renamed into place in one step, made
read-only, and only then does `latest.json` move (written to a temporary file and
atomically replaced). A run that fails anywhere before the rename leaves no version and
an untouched pointer; earlier versions are never opened for writing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from pipelines.contract import TABLES
from pipelines.deck import write_deck
from pipelines.extracts import sha256_of
from pipelines.faults import checkpoint
from pipelines.kpis import CATALOGUE_VERSION, CONTRACT_VERSION
from pipelines.rules import sql_literal

REPO_ROOT = Path(__file__).resolve().parents[1]


READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
READ_ONLY_FOLDER = READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


def make_read_only(folder: Path) -> None:
    """Files and folders of a version can be read and never written (folders last, deepest first)."""
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(READ_ONLY_FILE)
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        path.chmod(READ_ONLY_FOLDER)
    folder.chmod(READ_ONLY_FOLDER)


def remove_tree(folder: Path) -> None:
    """Delete a half-written (possibly read-only) work folder."""
    if not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)


def code_version() -> dict:
    """The package version and, when run from a git checkout, the commit."""
    try:
        package = metadata.version("flightdeck")
    except metadata.PackageNotFoundError:
        package = "unknown"
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip() != ""  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {"package": package, "git_commit": commit, "git_dirty": dirty}


def _copy(con, query: str, path: Path, options: str) -> int:
    """Write a query's rows to a file; DuckDB's COPY answers with the number written."""
    return con.execute(f"copy ({query}) to {sql_literal(str(path))} ({options})").fetchone()[0]


def _extract_entries(con) -> tuple[list, list, list]:
    """Used, superseded and rejected extracts with their files and row counts."""
    counts = {
        (e, t): {"rows_read": r, "rows_accepted": a, "rows_quarantined": q}
        for e, t, r, a, q in con.execute("select * from extract_table_counts").fetchall()
    }
    files: dict[str, dict] = {}
    for extract_id, table, path, sha, ignored in con.execute(
        "select extract_id, table_name, path, sha256, ignored_columns from extract_files order by all"
    ).fetchall():
        files.setdefault(extract_id, {})[table] = {
            "path": path,
            "sha256": sha,
            "ignored_columns": ignored,
            **counts.get((extract_id, table), {"rows_read": 0, "rows_accepted": 0, "rows_quarantined": 0}),
        }
    used, superseded, rejected = [], [], []
    for extract_id, path, force, at, status, reasons, source, schema in con.execute(
        """
        select extract_id, path, force_code, extracted_at, status, reasons, source_system, schema_version
        from extract_verdicts order by force_code, extracted_at, extract_id
        """
    ).fetchall():
        entry = {
            "extract_id": extract_id,
            "path": path,
            "force_code": force,
            "extracted_at": at.isoformat() if at else None,
            "schema_version": schema,
            "source_system": source,
            "files": files.get(extract_id, {}),
        }
        if status == "rejected":
            rejected.append({**entry, "reasons": reasons})
        else:
            (used if status == "used" else superseded).append(entry)
    return used, superseded, rejected


def previous_case_counts(out_dir: Path) -> dict[str, int]:
    """Accepted case rows per force in the latest published version; empty if there is none, or
    if latest.json or its manifest is not what `publish` writes (this feeds a warning, which
    must never stop a run), or if the pointer leads outside the versions folder."""
    try:
        pointer = json.loads((out_dir / "latest.json").read_text(encoding="utf-8"))
        folder = (out_dir / pointer["path"]).resolve()
        if folder.parent != (out_dir / "versions").resolve():
            return {}
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        counts = {}
        for entry in manifest["extracts"]:
            if "cases" in entry["files"]:
                accepted = entry["files"]["cases"]["rows_accepted"]
                if not isinstance(accepted, int):
                    return {}
                counts[entry["force_code"]] = accepted
        return counts
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def publish(
    con,
    out_dir: Path,
    threshold: float,
    min_denominator: int = 10,
    now: datetime | None = None,
    contact: str = "",
    chart_cache: Path | None = None,
) -> dict:
    """Write a new version folder from the warehouse, then point latest.json at it."""
    now = now or datetime.now(UTC)
    versions = out_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    work = versions / f".incomplete-{os.getpid()}-{now:%Y%m%dT%H%M%S%f}"
    work.mkdir()
    try:
        outputs = {}
        outputs["kpi_monthly.parquet"] = _copy(con, "select * from kpi_monthly", work / "kpi_monthly.parquet",
                                               "format parquet")  # fmt: skip
        outputs["kpi_monthly.csv"] = _copy(con, "select * from kpi_monthly", work / "kpi_monthly.csv",
                                           "format csv, header true")  # fmt: skip
        for table in ("kpi_spc", "kpi_funnel", "attrition_curve", "kpi_export"):
            outputs[f"{table}.parquet"] = _copy(con, f"select * from {table}", work / f"{table}.parquet",
                                                "format parquet")  # fmt: skip
        outputs["kpi_export.csv"] = _copy(con, "select * from kpi_export", work / "kpi_export.csv",
                                          "format csv, header true")  # fmt: skip
        (work / "quarantine").mkdir()
        for table in TABLES:
            name = f"quarantine/{table.name}.parquet"
            outputs[name] = _copy(con, f"select * from quarantine_{table.name}", work / name, "format parquet")
        kpi_digest = sha256_of(work / "kpi_monthly.csv")
        version_id = f"{now:%Y%m%dT%H%M%SZ}-{kpi_digest[:8]}"
        outputs.update(write_deck(con, work, version_id, min_denominator, contact, chart_cache))
        used, superseded, rejected = _extract_entries(con)
        manifest = {
            "version_id": version_id,
            "created_at": now.isoformat(),
            "code_version": code_version(),
            "catalogue_version": CATALOGUE_VERSION,
            "contract_version": CONTRACT_VERSION,
            "quarantine_threshold": threshold,
            "disclosure_min_denominator": min_denominator,
            "extracts": used,
            "superseded_extracts": superseded,
            "rejected_extracts": rejected,
            "outputs": {name: {"rows": rows, "sha256": sha256_of(work / name)} for name, rows in outputs.items()},
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        final = versions / version_id
        if final.exists():
            raise FileExistsError(f"version {final} already exists; it is never overwritten")
        make_read_only(work)
        checkpoint("publish")
        work.rename(final)
    except BaseException:
        remove_tree(work)
        raise
    pointer = out_dir / f".latest-{os.getpid()}.json"
    pointer.write_text(json.dumps({"version": version_id, "path": f"versions/{version_id}"}) + "\n", encoding="utf-8")
    os.replace(pointer, out_dir / "latest.json")
    return {"version_id": version_id, "path": final, "manifest": manifest}

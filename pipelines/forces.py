"""Per-force work between discovery and the national roll-up.

Discovery writes the run's inventory (every extract found, with what inspection found) into
the warehouse's state folder. Each force is then one Dagster partition: its new extracts are
staged and screened (reused from the store when their content was seen before), its extracts
judged (used, superseded or rejected), its used extract gated and its KPI partials computed;
the outcome is the force's state file, which the roll-up reads. A force's work depends only on
its own extracts, so forces can run side by side in separate processes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.cache import key_of, read_json, write_json
from pipelines.duck import DuckDBLimits
from pipelines.extract_store import ExtractResult, extract_key, load_result, stage_and_screen
from pipelines.extracts import Extract
from pipelines.failures import RunFailure

INVENTORY_FILE = "inventory.json"


def write_inventory(state: Path, run_id: str, extracts: list[Extract], run_started: datetime) -> None:
    """A discovery run's inventory: every extract found and what inspection found. It is kept
    under the run's id (later steps of the same nightly read exactly this one) and as the latest
    (for force partitions launched on their own)."""
    document = {"discovered_by": run_id, "run_started": run_started.isoformat(),
                "extracts": [e.to_json() for e in extracts]}  # fmt: skip
    write_json(state / "runs" / run_id / INVENTORY_FILE, document)
    write_json(state / INVENTORY_FILE, document)


def read_inventory(state: Path, discovery_run: str | None = None) -> tuple[str, list[Extract]]:
    """(the discovery run's id, its extracts): the given discovery's inventory, or the latest."""
    path = state / "runs" / discovery_run / INVENTORY_FILE if discovery_run else state / INVENTORY_FILE
    document = _inventory_document(path)
    if document is None:
        raise RunFailure(f"{path} is missing: run discovery first (flightdeck run does)")
    return document["discovered_by"], [Extract.from_json(e) for e in document["extracts"]]


_PARSED: dict[tuple, dict] = {}  # inventory files parsed by this process, by path and file identity


def _inventory_document(path: Path) -> dict | None:
    """An inventory file's content, parsed once per process while the file stays the same: a
    nightly's steps read it several times, and an inbox of 1,290 extracts makes a 3.5 MB file
    (about 0.3 s to parse each time). The file is only ever replaced whole (`write_json`), so a
    new one has a new identity. The document is not handed out: callers build their own extracts."""
    try:
        info = path.stat()
    except OSError:
        return None
    identity = (str(path), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    if identity not in _PARSED:
        document = read_json(path)
        if document is None:
            return None
        if len(_PARSED) >= 4:  # a run reads its own inventory and the latest; older ones are dropped
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[identity] = document
    return _PARSED[identity]


def inventory_forces(extracts: list[Extract]) -> list[str]:
    """The forces named by the inventory's extracts, sorted."""
    return sorted({e.force_code for e in extracts if e.force_code})


def loadable(extracts: list[Extract]) -> list[Extract]:
    """The extracts whose rows can be loaded (no problem found before loading)."""
    return [e for e in extracts if not e.problems]


def stage_new_extracts(
    extracts: list[Extract], cache: Path, limits: DuckDBLimits, workers: int = 2, log=None
) -> tuple[dict[str, ExtractResult], int]:
    """Results of every loadable extract, staging and screening the ones not seen before (several at
    once, each in its own DuckDB session). Returns the results by extract id and how many were new."""
    results, new = {}, []
    for extract in loadable(extracts):
        found = load_result(cache, extract_key(extract))
        if found:
            results[extract.extract_id] = found
        else:
            new.append(extract)
    if new:
        share = limits.share(min(workers, len(new)))

        def run(extract: Extract) -> ExtractResult:
            result = stage_and_screen(extract, cache, share)
            if log:
                rows = sum(t["rows_read"] for t in result.tables.values())
                log(f"stage: {extract.extract_id}: {rows:,} rows staged and screened")
            return result

        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(new)))) as pool:
            for extract, result in zip(new, pool.map(run, new), strict=True):
                results[extract.extract_id] = result
    return results, len(new)


def threshold_reasons(extract: Extract, result: ExtractResult, threshold: float) -> list[str]:
    """Tables with more than the allowed share of rows quarantined, with the commonest rule broken."""
    reasons = []
    for table, counts in sorted(result.tables.items()):
        read, quarantined = counts["rows_read"], counts["rows_quarantined"]
        # A quotient, not a product: at 0.29, 29 of 100 is 29% (not more), yet 0.29 * 100 = 28.999999999999996.
        if read and quarantined / read > threshold:
            rule, rows, first_line = counts["broken_rules"][0]
            reasons.append(
                f"{extract.extract_id}/{table}.csv: {quarantined} of {read} rows quarantined "
                f"({100 * quarantined / read:.1f}%), more than the {100 * threshold:.1f}% allowed; most often "
                f"{rule} ({rows} rows, first at line {first_line})"
            )
    return reasons


@dataclass
class Verdict:
    """What a run decided about one extract."""

    extract: Extract
    status: str  # used | superseded | rejected
    reasons: list[str]
    result: ExtractResult | None


def judge(extracts: list[Extract], results: dict[str, ExtractResult], threshold: float) -> list[Verdict]:
    """Each extract of one force: rejected (with every reason), or the newest accepted one by
    extracted_at as an instant (the greater extract id on a tie) used and the others superseded."""
    verdicts = []
    for extract in extracts:
        result = results.get(extract.extract_id)
        reasons = list(extract.problems)
        if result is None and not reasons:  # its stored result vanished or was damaged after staging
            reasons.append(f"{extract.extract_id}: was not staged (its stored result is missing or damaged); run again")
        if result is not None:
            reasons += result.problems
            if not result.problems:
                reasons += threshold_reasons(extract, result, threshold)
        verdicts.append(Verdict(extract, "rejected" if reasons else "superseded", reasons, result))
    accepted = [v for v in verdicts if v.status == "superseded"]
    if accepted:
        newest = max(accepted, key=lambda v: (v.extract.extracted_at, v.extract.extract_id))
        newest.status = "used"
    return verdicts


def state_path(state: Path, force: str, extracts: list[Extract]) -> Path:
    """Where one force's state for these extracts is kept: by content, so a run never reads a state
    computed from another inbox's extracts."""
    return state / "forces" / force / f"{signature(extracts)}.json"


def signature(extracts: list[Extract]) -> str:
    """What a force's state was computed from: its extracts' ids, content and inspection problems."""
    return key_of(sorted((e.extract_id, extract_key(e) if not e.problems else None, e.problems) for e in extracts))


def write_force_state(state: Path, force: str, extracts: list[Extract], verdicts: list[Verdict], **facts) -> None:
    """Record one force's verdicts and what the roll-up needs from it."""
    used = next((v for v in verdicts if v.status == "used"), None)
    write_json(
        state_path(state, force, extracts),
        {
            "force_code": force,
            "signature": signature(extracts),
            "verdicts": [
                {
                    "extract_id": v.extract.extract_id,
                    "status": v.status,
                    "reasons": v.reasons,
                    "result": str(v.result.folder) if v.result else None,
                    "tables": v.result.tables if v.result else {},
                }
                for v in verdicts
            ],
            "used": used.extract.extract_id if used else None,
            "used_result": str(used.result.folder) if used else None,
            **facts,
        },
    )


def read_force_state(state: Path, force: str, extracts: list[Extract]) -> dict | None:
    """One force's state for these extracts, or None if its partition has not run on them."""
    return read_json(state_path(state, force, extracts))

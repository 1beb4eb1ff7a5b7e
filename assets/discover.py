"""Discover stage: adapt raw exports, find every extract and check what can be checked unread."""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.adapted import adapt_raw_exports
from pipelines.cache import FileHashes
from pipelines.extracts import inspect_adapted, inspect_inbox
from pipelines.forces import inventory_forces, write_inventory
from pipelines.nightly import RUN_STARTED_TAG
from pipelines.resources import FORCES_PARTITIONS, FlightDeckSettings, RunLock


@asset(group_name="discover")
def adapted_extracts(
    context: AssetExecutionContext, settings: FlightDeckSettings, run_lock: RunLock
) -> MaterializeResult:
    """Canonical extracts made from the raw exports in the inbox's `raw/` area. Each raw export is
    a folder holding a `mapping.toml` beside the force's own files; its extract is written, with a
    coverage report (`adapt_report.md` / `.json`: per column mapped, unmapped and blank counts, and
    every unmapped value with example lines), into the adapted area under a key made of the raw
    files' and the mapping's content, so an export that has not changed is not adapted again.
    An export whose mapping is broken or leaves a value unmapped under the `error` policy gets no
    extract; discovery lists it as rejected with the adapter's reasons."""
    paths = settings.paths
    hashes = FileHashes(paths.cache / "file_hashes_raw.json")
    adapted = adapt_raw_exports(paths, hashes, context.run.run_id, log=context.log.info)
    hashes.save()
    lines = [
        f"- `raw/{a.relative}` ({a.force_code or '?'}): {'adapted' if a.ok else 'not adapted'}"
        f"{' (reused)' if a.reused else ''}; report `{a.folder / 'adapt_report.md'}`"
        for a in adapted
    ]
    return MaterializeResult(
        metadata={
            "raw_exports": len(adapted),
            "not_adapted": sum(not a.ok for a in adapted),
            "reused": sum(a.reused for a in adapted),
            "summary": MetadataValue.md("\n".join(lines) or "no raw exports"),
        }
    )


@asset(group_name="discover", deps=[adapted_extracts])
def extract_inventory(
    context: AssetExecutionContext, settings: FlightDeckSettings, run_lock: RunLock
) -> MaterializeResult:
    """Every extract folder in the inbox and every extract the adapt stage made: its manifest
    (force, extracted_at), file hashes and headers, and the problems that reject it before any row
    is read (missing, unreadable or linked files, an unsupported schema version, an extracted_at in
    the future, missing or duplicated columns, identifier-like column names, or a raw export the
    adapter could not map). Each force found becomes a partition of the per-force assets."""
    from pipelines.adapted import adapted_of_run

    paths = settings.paths
    started = context.run.tags.get(RUN_STARTED_TAG)
    run_started = datetime.fromisoformat(started) if started else datetime.now(UTC)
    hashes = FileHashes(paths.cache / "file_hashes.json")
    hashes.prefetch_folder(paths.inbox)
    extracts = inspect_inbox(paths.inbox, hashes, run_started)
    extracts += inspect_adapted(adapted_of_run(paths, context.run.run_id), hashes, run_started)
    hashes.save()
    write_inventory(paths.state, context.run.run_id, extracts, run_started)
    forces = inventory_forces(extracts)
    known = set(context.instance.get_dynamic_partitions(FORCES_PARTITIONS))
    new = [f for f in forces if f not in known]
    if new:
        context.instance.add_dynamic_partitions(FORCES_PARTITIONS, new)
    problems = [p for e in extracts for p in e.problems]
    for problem in problems:
        context.log.warning(f"rejected: {problem}")
    context.log.info(f"discover: {len(extracts)} extract(s) of {len(forces)} force(s) found in {paths.inbox}")
    return MaterializeResult(
        metadata={
            "extracts": len(extracts),
            "forces": MetadataValue.json(forces),
            "rejected_before_loading": sum(1 for e in extracts if e.problems),
            "problems": MetadataValue.md("\n".join(f"- {p}" for p in problems[:200]) or "none"),
        }
    )

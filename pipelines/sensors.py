"""Start discovery when a new extract lands in the inbox, and the nightly run when discovery succeeds."""

import hashlib
from pathlib import Path

from dagster import DagsterRunStatus, RunRequest, SensorEvaluationContext, SkipReason, run_status_sensor, sensor

from pipelines.extracts import find_raw_exports
from pipelines.jobs import discover_job, nightly_job
from pipelines.nightly import INVENTORY_TAG
from pipelines.resources import FORCES_PARTITIONS, FlightDeckSettings


def manifest_fingerprints(inbox: Path) -> list[str]:
    """One fingerprint per manifest.json, and per file of a raw export: its path, size and modification time."""
    files = sorted(inbox.rglob("manifest.json"))
    files += sorted(p for folder in find_raw_exports(inbox) for p in folder.iterdir() if p.is_file())
    found = []
    for path in files:
        info = path.stat()
        found.append(f"{path.relative_to(inbox).parent.as_posix()}/{path.name}:{info.st_size}:{info.st_mtime_ns}")
    return found


@sensor(
    job=discover_job,
    minimum_interval_seconds=300,
    description="A new or changed manifest.json, or a new or changed raw export, in the inbox.",
)
def new_extract_sensor(context: SensorEvaluationContext, settings: FlightDeckSettings):
    """Request discovery when the set of extract manifests changes (the run key dedupes)."""
    inbox = settings.inbox_path
    if not inbox.is_dir():
        return SkipReason(f"inbox {inbox} does not exist")
    seen = set((context.cursor or "").split("\n")) - {""}
    current = manifest_fingerprints(inbox)
    new = [f for f in current if f not in seen]
    if not new:
        return SkipReason("no new extracts")
    context.update_cursor("\n".join(current))
    key = hashlib.sha256("\n".join(current).encode()).hexdigest()[:16]
    return RunRequest(run_key=key, tags={"flightdeck/new_extracts": str(len(new))})


def nightly_request(discovery_run_id: str, forces: list[str]) -> RunRequest:
    """The nightly run over every force partition, working on one discovery's inventory."""
    tags = {INVENTORY_TAG: discovery_run_id}
    if forces:
        tags |= {"dagster/asset_partition_range_start": forces[0], "dagster/asset_partition_range_end": forces[-1]}
    return RunRequest(run_key=discovery_run_id, tags=tags)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[discover_job],
    request_job=nightly_job,
    description="After a successful discovery, the nightly run on what it found.",
)
def nightly_after_discovery(context):
    """Run the nightly job over every force partition on the discovery's inventory."""
    forces = context.instance.get_dynamic_partitions(FORCES_PARTITIONS)
    return nightly_request(context.dagster_run.run_id, list(forces))

"""Start the nightly job when a new extract lands in the inbox."""

import hashlib
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.jobs import nightly_job
from pipelines.resources import FlightDeckSettings


def manifest_fingerprints(inbox: Path) -> list[str]:
    """One fingerprint per manifest.json: its folder, size and modification time."""
    found = []
    for manifest in sorted(inbox.rglob("manifest.json")):
        info = manifest.stat()
        found.append(f"{manifest.parent.relative_to(inbox).as_posix()}:{info.st_size}:{info.st_mtime_ns}")
    return found


@sensor(job=nightly_job, minimum_interval_seconds=300, description="A new or changed manifest.json in the inbox.")
def new_extract_sensor(context: SensorEvaluationContext, settings: FlightDeckSettings):
    """Request a run when the set of extract manifests changes (the run key dedupes)."""
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

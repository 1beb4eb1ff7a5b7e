"""Start the nightly job when a new extract lands in the inbox."""

import hashlib
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.extracts import find_raw_exports
from pipelines.jobs import nightly_job
from pipelines.resources import FlightDeckSettings


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
    job=nightly_job,
    minimum_interval_seconds=300,
    description="A new or changed manifest.json, or a new or changed raw export, in the inbox.",
)
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

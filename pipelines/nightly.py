"""One nightly run, as the CLI, the tests and the benchmark start it: discovery, then the nightly
job over every force partition found (or the per-force work in worker processes, then the
national roll-up), all recorded in one Dagster instance."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from pipelines.failures import RunFailure, describe_step_failure
from pipelines.resources import FORCES_PARTITIONS, FlightDeckSettings

INVENTORY_TAG = "flightdeck/inventory"
RUN_STARTED_TAG = "flightdeck/run_started"


@dataclass
class NightlyOutcome:
    """What a nightly run did: the Dagster results and the version it published, if any."""

    discovery: object
    result: object
    published: dict | None

    @property
    def blocked_by(self) -> str | None:
        """Why it stopped before publishing: a failed blocking check."""
        for evaluation in self.result.get_asset_check_evaluations():
            if not evaluation.passed and evaluation.severity.value == "ERROR":
                if evaluation.check_name == "some_extract_accepted":
                    return "no extract was accepted"
                failed = evaluation.metadata.get("failed_rules")
                rules = ", ".join(f"{k} ({v:,} rows)" for k, v in (failed.value if failed else {}).items())
                return f"quality gate {evaluation.check_name} failed: {rules}"
        return None


def execute(defs, job: str, instance, tags: dict, logged: bool = True):
    """Run one job in this process. A failed blocking check is an outcome (nothing downstream runs);
    a step that failed for any other reason raises RunFailure with its cause in one line."""
    run_config = {"loggers": {"progress": {}}} if logged else None
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, tags=tags, raise_on_error=False, run_config=run_config
    )
    for event in result.all_events:
        if event.is_step_failure:
            cause = describe_step_failure(event.step_failure_data.error)
            if cause:
                raise RunFailure(cause, event.step_failure_data.error.to_string())
    return result


def _published(result) -> dict | None:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == "published_version":
            metadata = event.materialization.metadata
            return {"path": metadata["path"].value, "kpi_rows": metadata["kpi_rows"].value}
    return None


def partition_range_tags(forces: list[str]) -> dict:
    """Tags that make a run cover every force partition."""
    if not forces:
        return {}
    return {"dagster/asset_partition_range_start": forces[0], "dagster/asset_partition_range_end": forces[-1]}


def run_nightly(
    defs,
    instance,
    settings: FlightDeckSettings,
    started: datetime | None = None,
    workers: int = 1,
    logged: bool = True,
) -> NightlyOutcome:
    """Discovery, then the per-force work and the national roll-up, each a recorded Dagster run."""
    started = started or datetime.now(UTC)
    discovery = execute(defs, "discover", instance, {RUN_STARTED_TAG: started.isoformat()}, logged)
    forces = list(instance.get_dynamic_partitions(FORCES_PARTITIONS))
    inventory = {INVENTORY_TAG: discovery.run_id}
    if workers > 1 and len(forces) > 1:
        run_force_workers(settings, forces, workers, discovery.run_id)
        result = execute(defs, "national", instance, inventory, logged)
    else:
        result = execute(defs, "nightly", instance, inventory | partition_range_tags(forces), logged)
    return NightlyOutcome(discovery, result, _published(result))


def run_force_workers(settings: FlightDeckSettings, forces: list[str], workers: int, inventory: str) -> None:
    """Run the per-force job on chunks of forces in separate processes, side by side, under this
    process's locks; each chunk is one Dagster run covering a range of force partitions."""
    from pipelines.locks import worker_environment

    size = max(1, -(-len(forces) // workers))
    chunks = [forces[i : i + size] for i in range(0, len(forces), size)]
    environment = {**worker_environment(), **settings_environment(settings)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "force-worker", chunk[0], chunk[-1], inventory], env=environment
        )
        for chunk in chunks
    ]
    failed = [p.args[4] for p in processes if p.wait() != 0]
    if failed:
        raise RunFailure(f"the force worker(s) starting at {', '.join(failed)} failed; see the messages above")


def settings_environment(settings: FlightDeckSettings) -> dict[str, str]:
    """FLIGHTDECK_* variables that give a worker process the same settings."""
    values = {
        "FLIGHTDECK_INBOX": settings.inbox,
        "FLIGHTDECK_OUT": settings.out_dir,
        "FLIGHTDECK_WAREHOUSE": settings.warehouse,
        "FLIGHTDECK_ADAPTED": settings.adapted_dir,
        "FLIGHTDECK_QUARANTINE_THRESHOLD": settings.quarantine_threshold,
        "FLIGHTDECK_SPC_BASELINES": settings.spc_baselines,
        "FLIGHTDECK_MIN_DENOMINATOR": settings.min_denominator,
        "FLIGHTDECK_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "FLIGHTDECK_DUCKDB_THREADS": settings.duckdb_threads,
        "FLIGHTDECK_DUCKDB_TEMP_DIRECTORY": settings.duckdb_temp_directory,
        "FLIGHTDECK_WORKERS": settings.workers,
    }
    return {name: "" if value is None else str(value) for name, value in values.items()}

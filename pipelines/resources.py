"""Run settings as a Dagster resource, read from the environment with local defaults.

With nothing set, the inbox is the committed sample, outputs go to `outputs/`, and the
warehouse (an embedded DuckDB file) is `warehouse/flightdeck.duckdb`, with its working state
(locks, the content-addressed cache, adapted extracts, logs) in
`warehouse/flightdeck.duckdb.state/`, all inside the repository.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from pipelines import env
from pipelines.duck import DEFAULT_MEMORY_LIMIT, DuckDBLimits, memory_bytes
from pipelines.paths import RunPaths

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INBOX = REPO_ROOT / "data" / "sample" / "inbox"
DEFAULT_OUT = REPO_ROOT / "outputs"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "flightdeck.duckdb"
FORCES_PARTITIONS = "forces"  # the dynamic partitions: one per force code found
DEFAULT_CONTACT = "Contact: the force performance team that published this version (set FLIGHTDECK_CONTACT)."


class FlightDeckSettings(ConfigurableResource):
    """Where extracts come from, where versions go, and how strict the gate is."""

    inbox: str = Field(description="Folder tree holding extract folders (each with a manifest.json).")
    out_dir: str = Field(description="Folder that receives versions/<id>/ and latest.json.")
    warehouse: str = Field(
        default=str(DEFAULT_WAREHOUSE),
        description="The DuckDB warehouse file; its working state lives beside it in <warehouse>.state/.",
    )
    adapted_dir: str | None = Field(
        default=None,
        description="Where extracts adapted from <inbox>/raw/ are kept (by content); default: the warehouse's "
        "state folder.",
    )
    quarantine_threshold: float = Field(
        default=0.05,
        description="Largest share of a table's rows that may be quarantined before the extract is rejected.",
    )
    spc_baselines: str | None = Field(
        default=None,
        description="CSV fixing each force's SPC baseline months (force_code,baseline_from,baseline_to); "
        "none: every published month.",
    )
    min_denominator: int = Field(
        default=10,
        description="Disclosure rule for tables that leave the force: a proportion whose denominator is "
        "under this is suppressed (0 turns the rule off). kpi_monthly keeps full numbers.",
    )
    workers: int = Field(default=2, description="Extracts staged and screened side by side.")
    duckdb_memory_limit: str = Field(default=DEFAULT_MEMORY_LIMIT, description="DuckDB memory limit per run.")
    duckdb_threads: int = Field(default=os.cpu_count() or 1, description="DuckDB threads per run.")
    duckdb_temp_directory: str | None = Field(default=None, description="Where DuckDB spills; default: state/tmp.")

    @property
    def paths(self) -> RunPaths:
        """The places this run reads and writes."""
        return RunPaths.of(self.inbox, self.out_dir, self.warehouse, self.adapted_dir)

    contact: str = Field(
        default=DEFAULT_CONTACT,
        description="The contact line on the flight deck pages and the spreadsheet's cover sheet.",
    )
    chart_cache: str | None = Field(
        default=None,
        description="Folder keeping the charting library's JavaScript bundle the deck's pages carry, built "
        "once per library version; default: charts/ in the warehouse's cache; 'none': no cache.",
    )

    @property
    def chart_cache_path(self) -> Path | None:
        """The chart cache as a path (None when turned off)."""
        if self.chart_cache == "none":
            return None
        return Path(self.chart_cache) if self.chart_cache else self.paths.cache / "charts"

    @property
    def inbox_path(self) -> Path:
        """The inbox as a path."""
        return self.paths.inbox

    @property
    def out_path(self) -> Path:
        """The output folder as a path."""
        return self.paths.out

    @property
    def limits(self) -> DuckDBLimits:
        """DuckDB's memory, threads and spill folder for this run."""
        return DuckDBLimits(
            self.duckdb_memory_limit, self.duckdb_threads, self.duckdb_temp_directory or str(self.paths.state / "tmp")
        )


def settings_from_env(**overrides) -> FlightDeckSettings:
    """Settings from FLIGHTDECK_* environment variables, then explicit overrides; raises
    SettingProblem, naming the variable, for a value that cannot be used."""
    values = {
        "inbox": env.text("FLIGHTDECK_INBOX", str(DEFAULT_INBOX)),
        "out_dir": env.text("FLIGHTDECK_OUT", str(DEFAULT_OUT)),
        "warehouse": env.text("FLIGHTDECK_WAREHOUSE", str(DEFAULT_WAREHOUSE)),
        "adapted_dir": env.text("FLIGHTDECK_ADAPTED"),
        "quarantine_threshold": env.number("FLIGHTDECK_QUARANTINE_THRESHOLD", 0.05),
        "spc_baselines": env.text("FLIGHTDECK_SPC_BASELINES"),
        "min_denominator": env.whole("FLIGHTDECK_MIN_DENOMINATOR", 10),
        "workers": env.whole("FLIGHTDECK_WORKERS", 2, minimum=1),
        "duckdb_memory_limit": env.text("FLIGHTDECK_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "duckdb_threads": env.whole("FLIGHTDECK_DUCKDB_THREADS", os.cpu_count() or 1, minimum=1),
        "duckdb_temp_directory": env.text("FLIGHTDECK_DUCKDB_TEMP_DIRECTORY"),
        "contact": env.text("FLIGHTDECK_CONTACT", DEFAULT_CONTACT),
        "chart_cache": env.text("FLIGHTDECK_CHART_CACHE"),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    threshold = values["quarantine_threshold"]
    if not (math.isfinite(threshold) and 0 <= threshold <= 1):
        raise env.SettingProblem(f"quarantine threshold {threshold} is not a share from 0 to 1")
    memory_bytes(values["duckdb_memory_limit"])
    if values["min_denominator"] < 0:
        raise env.SettingProblem(f"minimum denominator {values['min_denominator']} is below 0")
    return FlightDeckSettings(**values)


def warehouse_of(settings: FlightDeckSettings) -> DuckDBResource:
    """The embedded DuckDB warehouse the national steps write, with the run's limits."""
    Path(settings.warehouse).parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(Path(settings.warehouse).absolute()), connection_config=settings.limits.config())


class RunLock(ConfigurableResource):
    """Holds a run's locks from its start to its end (a Dagster resource is set up once per run).

    A whole run (discovery, the nightly, the national roll-up) holds the warehouse, the output
    folder and the adapted area exclusively; a run of force partitions only shares the warehouse
    and holds its own forces, so partitions run side by side but never beside a whole run.
    """

    settings: FlightDeckSettings
    wait: bool = False
    _held: list = PrivateAttr(default_factory=list)

    def setup_for_execution(self, context) -> None:
        """Take the locks, or fail the run naming the process that holds them."""
        from pipelines import locks
        from pipelines.jobs import FORCES_JOB
        from pipelines.paths import check_paths

        paths = self.settings.paths
        check_paths(paths)
        run = context.run
        if run is not None and run.job_name == FORCES_JOB:
            forces = partition_keys_of(run.tags, context.instance)
            shared, exclusive = [paths.state / "run.lock"], [paths.state / "locks" / f"force-{f}.lock" for f in forces]
        else:
            shared, exclusive = [], paths.lock_files()
        for path in shared:
            locks.acquire(path, shared=True, wait=self.wait)
            self._held.append(path)
        for path in sorted(exclusive):
            locks.acquire(path, wait=self.wait)
            self._held.append(path)

    def teardown_after_execution(self, context) -> None:
        """Release what setup took."""
        from pipelines import locks

        while self._held:
            locks.release(self._held.pop())


def partition_keys_of(tags, instance) -> list[str]:
    """The force partitions a run covers: its one key, or every key of its range."""
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    if not start:
        return []
    keys = instance.get_dynamic_partitions(FORCES_PARTITIONS) if instance else []
    return keys[keys.index(start) : keys.index(end) + 1] if start in keys and end in keys else sorted({start, end})

"""Run settings as a Dagster resource, read from the environment with local defaults.

With nothing set, the inbox is the committed sample, outputs go to `outputs/`, and the
warehouse (an embedded DuckDB file) and the adapted extracts are under `warehouse/`, all
inside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource
from pydantic import Field

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INBOX = REPO_ROOT / "data" / "sample" / "inbox"
DEFAULT_OUT = REPO_ROOT / "outputs"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "flightdeck.duckdb"
DEFAULT_ADAPTED = REPO_ROOT / "warehouse" / "adapted"
DEFAULT_CONTACT = "Contact: the force performance team that published this version (set FLIGHTDECK_CONTACT)."


class FlightDeckSettings(ConfigurableResource):
    """Where extracts come from, where versions go, and how strict the gate is."""

    inbox: str = Field(description="Folder tree holding extract folders (each with a manifest.json).")
    out_dir: str = Field(description="Folder that receives versions/<id>/ and latest.json.")
    quarantine_threshold: float = Field(
        default=0.05,
        description="Largest share of a table's rows that may be quarantined before the extract is rejected.",
    )
    gate_chunk_rows: int = Field(default=200_000, description="Rows per Great Expectations batch.")
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
    adapted_dir: str = Field(
        default=str(DEFAULT_ADAPTED),
        description="Folder the adapt stage rebuilds each run with canonical extracts made from <inbox>/raw/.",
    )

    contact: str = Field(
        default=DEFAULT_CONTACT,
        description="The contact line on the flight deck pages and the spreadsheet's cover sheet.",
    )
    chart_cache: str | None = Field(
        default=None,
        description="Folder of flight deck charts already rendered, keyed by their spec, so unchanged charts "
        "are not drawn again; default <out_dir>/.chart_cache; 'none': no cache.",
    )

    @property
    def chart_cache_path(self) -> Path | None:
        """The chart cache as a path (None when turned off)."""
        if self.chart_cache == "none":
            return None
        return Path(self.chart_cache) if self.chart_cache else self.out_path / ".chart_cache"

    @property
    def inbox_path(self) -> Path:
        """The inbox as a path."""
        return Path(self.inbox)

    @property
    def adapted_path(self) -> Path:
        """The adapted-extracts folder as a path."""
        return Path(self.adapted_dir)

    @property
    def out_path(self) -> Path:
        """The output folder as a path."""
        return Path(self.out_dir)


def settings_from_env(**overrides) -> FlightDeckSettings:
    """Settings from FLIGHTDECK_* environment variables, then explicit overrides."""
    values = {
        "inbox": os.environ.get("FLIGHTDECK_INBOX", str(DEFAULT_INBOX)),
        "out_dir": os.environ.get("FLIGHTDECK_OUT", str(DEFAULT_OUT)),
        "adapted_dir": os.environ.get("FLIGHTDECK_ADAPTED", str(DEFAULT_ADAPTED)),
        "quarantine_threshold": float(os.environ.get("FLIGHTDECK_QUARANTINE_THRESHOLD", "0.05")),
        "spc_baselines": os.environ.get("FLIGHTDECK_SPC_BASELINES") or None,
        "min_denominator": int(os.environ.get("FLIGHTDECK_MIN_DENOMINATOR", "10")),
        "contact": os.environ.get("FLIGHTDECK_CONTACT") or DEFAULT_CONTACT,
        "chart_cache": os.environ.get("FLIGHTDECK_CHART_CACHE") or None,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return FlightDeckSettings(**values)


def warehouse_from_env(path: str | None = None) -> DuckDBResource:
    """The embedded DuckDB warehouse (one writer: the job runs in-process)."""
    database = Path(path or os.environ.get("FLIGHTDECK_WAREHOUSE", str(DEFAULT_WAREHOUSE)))
    database.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(database))

"""Opening DuckDB with the run's resource settings.

FLIGHTDECK_DUCKDB_MEMORY_LIMIT (default 3GB), FLIGHTDECK_DUCKDB_THREADS (default: the
machine's cores) and FLIGHTDECK_DUCKDB_TEMP_DIRECTORY (default: `tmp/` in the warehouse's
state folder) bound every connection a run opens; work that runs side by side shares them.
Progress bars are off: the run prints its own progress.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import env

DEFAULT_MEMORY_LIMIT = "3GB"


@dataclass(frozen=True)
class DuckDBLimits:
    """Memory, threads and spill folder for the connections of one run."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = os.cpu_count() or 1
    temp_directory: str | None = None

    @classmethod
    def from_env(cls, default_temp: Path | None = None) -> DuckDBLimits:
        """Limits from FLIGHTDECK_DUCKDB_* variables, with the defaults above."""
        return cls(
            memory_limit=env.text("FLIGHTDECK_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
            threads=env.whole("FLIGHTDECK_DUCKDB_THREADS", os.cpu_count() or 1, minimum=1),
            temp_directory=env.text("FLIGHTDECK_DUCKDB_TEMP_DIRECTORY", str(default_temp) if default_temp else None),
        )

    def config(self) -> dict:
        """DuckDB's settings for these limits (the spill folder made if it is missing)."""
        config = {"memory_limit": self.memory_limit, "threads": self.threads}
        if self.temp_directory:
            Path(self.temp_directory).mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = self.temp_directory
        return config

    def share(self, parts: int) -> DuckDBLimits:
        """The limits for one of `parts` connections working side by side."""
        parts = max(1, parts)
        memory = memory_bytes(self.memory_limit) // parts
        return DuckDBLimits(f"{max(memory // (1 << 20), 64)}MB", max(1, self.threads // parts), self.temp_directory)


def memory_bytes(given: str) -> int:
    """A memory limit such as 3GB or 512MB in bytes; SettingProblem names the variable otherwise."""
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40, "KIB": 1 << 10, "MIB": 1 << 20,
             "GIB": 1 << 30, "B": 1}  # fmt: skip
    text = given.strip().upper().replace(" ", "")
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return int(float(text[: -len(unit)]) * units[unit])
    raise env.SettingProblem(f"FLIGHTDECK_DUCKDB_MEMORY_LIMIT {given!r} is not a size like 3GB or 512MB")


def connect(database: str | Path = ":memory:", limits: DuckDBLimits | None = None, read_only: bool = False):
    """A DuckDB connection with the run's limits applied."""
    limits = limits or DuckDBLimits.from_env()
    con = duckdb.connect(str(database), read_only=read_only, config=limits.config())
    con.execute("set enable_progress_bar = false")
    return con

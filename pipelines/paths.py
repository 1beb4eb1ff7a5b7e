"""Where a run reads and writes, and the rules that keep those places apart.

A run reads one inbox and writes three places: the warehouse (a DuckDB file, with its working
state in a `<warehouse>.state/` folder beside it: locks, the content-addressed cache, logs and
by default the adapted extracts), the output folder (versions and `latest.json`) and the
adapted area (rebuilt from the inbox's raw exports on every run). Working state always lives
beside the warehouse it belongs to, so two warehouses never share anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


class PathProblem(ValueError):
    """A run's folders overlap or cannot be used; the message names them."""


def state_dir_of(warehouse: Path) -> Path:
    """The working-state folder that belongs to one warehouse file."""
    return warehouse.with_name(warehouse.name + ".state")


@dataclass(frozen=True)
class RunPaths:
    """The places one run reads and writes, made absolute."""

    inbox: Path
    out: Path
    warehouse: Path
    adapted: Path

    @classmethod
    def of(cls, inbox, out, warehouse, adapted=None) -> RunPaths:
        """Absolute paths; the adapted area defaults to the warehouse's state folder."""
        warehouse = Path(warehouse).absolute()
        adapted = Path(adapted).absolute() if adapted else state_dir_of(warehouse) / "adapted"
        return cls(Path(inbox).absolute(), Path(out).absolute(), warehouse, adapted)

    @property
    def state(self) -> Path:
        """Working state of the warehouse: locks, cache, logs."""
        return state_dir_of(self.warehouse)

    @property
    def cache(self) -> Path:
        """Content-addressed results of extracts already seen."""
        return self.state / "cache"

    @property
    def logs(self) -> Path:
        """One log file per run, with full tracebacks."""
        return self.state / "logs"

    def lock_files(self) -> list[Path]:
        """Every lock a whole run takes: warehouse, output folder and (if elsewhere) the adapted area."""
        locks = [self.state / "run.lock", self.out / ".flightdeck.lock"]
        if not _inside(self.adapted, self.state):
            locks.append(self.adapted.with_name(self.adapted.name + ".lock"))
        return locks


def _inside(path: Path, folder: Path) -> bool:
    """Is `path` the folder itself or anywhere under it (after resolving links)?"""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def check_paths(paths: RunPaths) -> None:
    """Refuse overlapping or unusable places before anything is written."""
    if not paths.inbox.is_dir():
        raise PathProblem(f"extracts folder {paths.inbox} does not exist or is not a folder")
    pairs = [
        (paths.out, paths.inbox, "the output folder", "the inbox (published manifests would be read as extracts)"),
        (paths.inbox, paths.out, "the inbox", "the output folder"),
        (paths.state, paths.inbox, "the warehouse", "the inbox"),
        (paths.out, paths.state, "the output folder", "the warehouse's working state"),
        (paths.adapted, paths.inbox, "the adapted area", "the inbox (the run writes it)"),
        (paths.inbox, paths.adapted, "the inbox", "the adapted area (the run writes it)"),
        (paths.adapted, paths.out, "the adapted area", "the output folder (the run writes it)"),
        (paths.out, paths.adapted, "the output folder", "the adapted area (the run writes it)"),
        (paths.warehouse, paths.adapted, "the warehouse", "the adapted area (the run writes it)"),
    ]
    for inner, outer, inner_name, outer_name in pairs:
        if _inside(inner, outer):
            raise PathProblem(f"{inner_name} {inner} must not be inside {outer_name} {outer}")
    for place, name in ((paths.out, "output folder"), (paths.adapted, "adapted area")):
        if place.exists() and not place.is_dir():
            raise PathProblem(f"{name} {place} is a file, not a folder")
    warehouse = paths.warehouse
    if warehouse.is_dir():
        raise PathProblem(f"warehouse {warehouse} is a folder, not a DuckDB database file")
    if warehouse.exists():
        try:
            with warehouse.open("rb") as handle:
                header = handle.read(12)
        except OSError as error:
            raise PathProblem(f"warehouse {warehouse} cannot be read: {error.strerror}") from error
        if header and header[8:12] != DUCKDB_MAGIC:
            raise PathProblem(f"warehouse {warehouse} exists but is not a DuckDB database file")

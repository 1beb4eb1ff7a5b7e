"""Exclusive and shared locks on what a run writes: the warehouse, the output folder, the adapted area.

Locks are `flock(2)` locks on small lock files, so the kernel releases them when the holding
process dies for any reason (kill -9 included): a stale lock never blocks the next run. The
file's text says who holds it (process id, host, command, start time) so that a refused run
can say which process is in the way.

Within one process, locks are re-entrant (the CLI takes them before Dagster starts, and the
run's resources ask again). A worker process started by a run that holds the locks inherits
them through FLIGHTDECK_LOCKS_HELD_BY (the parent's process id): it may work under the
parent's locks as long as that parent is alive and still named in the lock files.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

INHERIT_ENV = "FLIGHTDECK_LOCKS_HELD_BY"
_held: dict[Path, tuple[int, bool, int]] = {}  # path -> (fd, shared, depth), in this process


class LockHeld(Exception):
    """Another process holds a lock this run needs."""

    def __init__(self, path: Path, holder: dict):
        self.path, self.holder = path, holder
        who = f"process {holder.get('pid', '?')}"
        if holder.get("host") and holder.get("host") != socket.gethostname():
            who += f" on {holder['host']}"
        since = f", started {holder['started']}" if holder.get("started") else ""
        command = f" ({holder['command']})" if holder.get("command") else ""
        super().__init__(f"{path.parent} is in use by {who}{command}{since}; wait for it to finish or use --wait")


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _write_holder(fd: int) -> None:
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200],
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(holder) + "\n").encode("utf-8"))


def _inherited(path: Path) -> bool:
    """Is this process a worker of a live parent that holds `path`?"""
    parent = os.environ.get(INHERIT_ENV)
    if not parent or not parent.isdigit() or int(parent) != os.getppid():
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle).get("pid") == int(parent)
    except (OSError, ValueError):
        return False


def acquire(path: Path, shared: bool = False, wait: bool = False, on_wait=None) -> None:
    """Take the lock at `path` (created if needed); raise LockHeld, or wait when asked."""
    path = Path(path).absolute()
    if path in _held:
        fd, held_shared, depth = _held[path]
        _held[path] = (fd, held_shared, depth + 1)
        return
    if _inherited(path):
        _held[path] = (-1, shared, 1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            if not wait:
                raise LockHeld(path, holder) from None
            if on_wait:
                on_wait(str(LockHeld(path, holder)).split("; ")[0] + "; waiting")
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(0.5)
        if not shared:
            _write_holder(fd)
    except BaseException:
        os.close(fd)
        raise
    _held[path] = (fd, shared, 1)


def release(path: Path) -> None:
    """Release one hold of the lock at `path`."""
    path = Path(path).absolute()
    fd, shared, depth = _held[path]
    if depth > 1:
        _held[path] = (fd, shared, depth - 1)
        return
    del _held[path]
    if fd >= 0:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def holding(paths: list[Path], shared: bool = False, wait: bool = False, on_wait=None):
    """Hold every lock in `paths` (taken in a fixed order, so two runs cannot deadlock)."""
    taken: list[Path] = []
    try:
        for path in sorted({Path(p).absolute() for p in paths}):
            acquire(path, shared=shared, wait=wait, on_wait=on_wait)
            taken.append(path)
        yield
    finally:
        for path in reversed(taken):
            release(path)


def worker_environment() -> dict[str, str]:
    """Environment for a worker process that works under this process's locks."""
    return {**os.environ, INHERIT_ENV: str(os.getpid())}

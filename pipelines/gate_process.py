"""The quality gate in a process of its own, started first so that Great Expectations' import
overlaps the run's start-up and staging instead of following them.

Importing GX costs two to five seconds of one core (it brings scipy and the pydantic models of
every data source), more than gating a small inbox does. `flightdeck run` (and each force
worker) starts this process before anything else (`start`); it imports GX while the run starts
Dagster, discovers and stages on the other core, then waits. The gate's asset check sends it
the request (`run`) and gets the results back. The process reads its one request from stdin, so
it ends by itself when its parent does (stdin closes), even after `kill -9`; it ignores Ctrl-C,
which reaches the whole process group, and leaves the run's message and exit code to its parent.
A run with nothing to gate ends it unused (`stop`).

Where no process was started (the UI's runs, tests calling the job in-process) the gate runs
in the calling process, as it does with the results of this one.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.duck import DuckDBLimits

_process: subprocess.Popen | None = None


def start() -> None:
    """Start the gate's process (once per run). Its messages are kept in a temporary file and
    the last one is quoted if it fails."""
    global _process
    if _process is not None and _process.poll() is None:
        return
    errors = tempfile.TemporaryFile()
    _process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.gate_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
    )
    _process.errors = errors


def stop() -> None:
    """End the gate's process if it was started and not used (it holds nothing to lose)."""
    global _process
    if _process is not None:
        process, _process = _process, None
        process.kill()
        process.communicate()
        process.errors.close()


def run(valid_files: dict[str, list[str]], limits: DuckDBLimits | None) -> dict | None:
    """The gate's results from the started process; None if none was started."""
    global _process
    if _process is None:
        return None
    process, _process = _process, None
    answer, _ = process.communicate(pickle.dumps((valid_files, limits)))
    with process.errors:
        process.errors.seek(0)
        said = [line for line in process.errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    if process.returncode != 0 or not answer:
        raise RuntimeError(
            f"the quality gate's process ended with exit code {process.returncode} and no results"
            + (f": {said[-1].strip()}" if said else "")
        )
    kind, value = pickle.loads(answer)
    if kind == "error":
        raise value
    return value


def _serve() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from pipelines.quality import _gx, gate_here

    _gx()  # the import this process exists to do early
    request = sys.stdin.buffer.read()
    if not request:  # the run ended without gating
        return 0
    valid_files, limits = pickle.loads(request)
    try:
        answer = ("results", gate_here(valid_files, limits))
    except Exception as error:  # the parent raises it: a full disk is named as one
        try:
            answer = ("error", error)
            pickle.dumps(answer)
        except Exception:
            answer = ("error", RuntimeError(f"{type(error).__name__}: {error}"))
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    code = _serve()
    sys.stderr.flush()
    os._exit(code)  # without Python's teardown of GX's modules (most of a second); the answer is sent

"""Named points in a run where the fault-injection tests can stop it (tests/faults/).

`checkpoint("publish")` does nothing unless FLIGHTDECK_PAUSE_AT names that point: then the
run says so on stderr and waits (up to a minute) for the file named by FLIGHTDECK_PAUSE_FILE
to appear, so that a test can kill it, signal it or start a second run at exactly that point.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

CHECKPOINTS = ("stage", "validate", "kpi", "publish")
PAUSE_LIMIT_SECONDS = 60


def checkpoint(name: str) -> None:
    """Pause here if a test asked to (see the module docstring)."""
    if os.environ.get("FLIGHTDECK_PAUSE_AT") != name:
        return
    release = Path(os.environ.get("FLIGHTDECK_PAUSE_FILE", "/nonexistent"))
    print(f"flightdeck: paused at {name}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)

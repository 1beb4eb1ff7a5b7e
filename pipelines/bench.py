"""`make bench`: wall time and peak memory of `flightdeck run` on large synthetic inboxes.

Not part of CI. For each size it generates an inbox with `flightdeck synth` (10 forces,
10 years) under bench/, runs `flightdeck run` in a child process and reports the child's
wall time and peak resident memory.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

FORCES, YEARS = 10, 10


def timed(command: list[str]) -> float:
    """Run a command to completion; return its wall time in seconds."""
    started = time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """Benchmark each requested size and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--root", default="bench")
    args = parser.parse_args(argv)
    bin_dir = Path(sys.executable).parent
    print(f"{'cases':>10} {'synth s':>8} {'run s':>8} {'peak MiB':>9} result")
    for cases in args.cases:
        root = Path(args.root) / f"cases-{cases}"
        shutil.rmtree(root, ignore_errors=True)
        per_force_year = max(1, cases // (FORCES * YEARS))
        synth_s = timed(
            [str(bin_dir / "flightdeck"), "synth", "--out", str(root / "inbox"), "--forces", str(FORCES),
             "--years", str(YEARS), "--cases-per-force-year", str(per_force_year)]
        )  # fmt: skip
        # Each size runs in its own process so ru_maxrss is that run's peak, not an earlier one's.
        probe = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        started = time.monotonic()
        peak_kib = subprocess.run(
            [sys.executable, "-c", probe, str(bin_dir / "flightdeck"), "run", "--extracts", str(root / "inbox"),
             "--out", str(root / "out"), "--warehouse", str(root / "warehouse.duckdb")],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        run_s = time.monotonic() - started
        status = "published" if (root / "out" / "latest.json").exists() else "NOT PUBLISHED"
        print(f"{cases:>10,} {synth_s:>8.1f} {run_s:>8.1f} {int(peak_kib) / 1024:>9.0f} {status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the flight deck costs on a built warehouse (not part of CI):

    .venv/bin/python -m pipelines.deck.bench WAREHOUSE [--cache FOLDER] [--repeat N]

writes the deck of WAREHOUSE (a copy of it, so the warehouse is never touched) into a temporary
folder N times and prints, for each run, the seconds of each step of `write_deck`, the peak
resident memory of this process and its children (the workbook's process), the page sizes and the
load average before and after. `--cache` is the folder that keeps the Vega bundle (default: a new
temporary folder, so the first run builds it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from pipelines.bench import _tree_rss_kib
from pipelines.deck.build import write_deck


def run_once(warehouse: Path, out: Path, cache: Path) -> dict:
    """One write_deck into `out`: its timings, peak memory (MiB) and file sizes (MB)."""
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(os.getpid()))
            time.sleep(0.2)

    con = duckdb.connect(str(warehouse))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timings: dict = {}
    try:
        write_deck(con, out, "BENCH", 10, "Contact: benchmark.", cache, timings)
    finally:
        done.set()
        sampler.join()
        con.close()
    forces = [p.stat().st_size / 1e6 for p in (out / "flight_deck").glob("*.html")]
    return {
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in timings.items()},
        "peak_mib": round(peak / 1024),
        "index_mb": round((out / "flight_deck.html").stat().st_size / 1e6, 2),
        "force_pages_mb": f"{min(forces, default=0):.2f}-{max(forces, default=0):.2f} ({len(forces)} pages)",
        "all_pages_mb": round(sum(forces) + (out / "flight_deck.html").stat().st_size / 1e6, 1),
        "workbook_mb": round((out / "flight_deck.xlsx").stat().st_size / 1e6, 1),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flightdeck-deck-bench-") as scratch:
        scratch = Path(scratch)
        warehouse = scratch / "warehouse.duckdb"
        shutil.copy(args.warehouse, warehouse)
        cache = args.cache or scratch / "cache"
        for number in range(1, args.repeat + 1):
            out = scratch / f"deck-{number}"
            out.mkdir()
            load = os.getloadavg()[0]
            result = run_once(warehouse, out, cache)
            print(f"run {number}: load {load:.2f} -> {os.getloadavg()[0]:.2f}; " + "; ".join(
                f"{k} {v}" for k, v in result.items()
            ))  # fmt: skip
            shutil.rmtree(out)


if __name__ == "__main__":
    main()

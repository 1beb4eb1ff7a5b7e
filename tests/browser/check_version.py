"""Every page of a published version in headless Chromium (not part of CI; the suite checks the
sample's pages the same way):

    .venv/bin/python -m tests.browser.check_version outputs/versions/<id>

For each page: every chart drawn, no console error, nothing fetched, no axe-core violation of
the WCAG 2.2 AA tags, and no provisional month with a signal in any chart's table. Prints one
line per page and exits 1 if any page fails. Used for the 43-force check of the national
benchmark's version.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import duckdb

from tests.browser.browser import axe_violations, console_errors, fetched, open_page, start_browser

SIGNALS = """
return Array.from(document.querySelectorAll('figure.chart[data-chart=spc]')).flatMap(f =>
  Array.from(f.querySelectorAll('details table tbody tr')).map(r =>
    [f.dataset.force, f.dataset.kpi, r.cells[0].textContent, r.cells[7].textContent]));
"""
UNSETTLED = "Provisional: still settling, no signal"


def check(version: Path) -> int:
    """Check every page of `version`; returns the number of pages that failed."""
    pages = [version / "flight_deck.html", *sorted((version / "flight_deck").glob("*.html"))]
    provisional = set(duckdb.sql(
        f"select force_code, kpi_id, strftime(period, '%b %Y') from '{version / 'kpi_export.parquet'}' "
        "where breakdown = 'all' and provisional"
    ).fetchall())  # fmt: skip
    driver, profile = start_browser()
    failed = 0
    try:
        for page in pages:
            started = time.perf_counter()
            problems = []
            try:
                open_page(driver, page)
            except AssertionError as error:
                problems.append(str(error))
            charts = driver.execute_script("return document.querySelectorAll('figure.chart').length")
            problems += [f"console: {m}" for m in console_errors(driver)]
            problems += [f"fetched: {u}" for u in fetched(driver)]
            problems += [f"axe: {v}" for v in axe_violations(driver)]
            for force, kpi, month, signal in driver.execute_script(SIGNALS):
                if ((force, kpi, month) in provisional) != (signal == UNSETTLED):
                    problems.append(f"{force} {kpi} {month}: signal {signal!r} (provisional or not, wrongly)")
            size = page.stat().st_size / 1e6
            seconds = time.perf_counter() - started
            print(f"{'FAIL' if problems else 'ok'}  {page.name}: {charts} charts, {size:.2f} MB, {seconds:.1f} s")
            for problem in problems[:5]:
                print(f"      {problem}")
            failed += bool(problems)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"{len(pages) - failed} of {len(pages)} pages passed")
    return failed


if __name__ == "__main__":
    sys.exit(1 if check(Path(sys.argv[1])) else 0)

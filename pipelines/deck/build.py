"""Writing the whole deck into a version folder: the pages and the spreadsheet."""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from pathlib import Path

from pipelines.deck.charts import javascript_bundle
from pipelines.deck.data import load_deck_data, workbook_rows
from pipelines.deck.formatting import iso_date
from pipelines.deck.pages import number_charts, plan_pages, write_pages
from pipelines.deck.workbook import WorkbookProcess


def write_deck(
    con,
    folder: Path,
    version_id: str,
    min_denominator: int,
    contact: str,
    chart_cache: Path | None = None,
    timings: dict | None = None,
) -> dict[str, int]:
    """Write flight_deck.html, flight_deck/<FORCE>.html and flight_deck.xlsx into `folder`.

    Returns the row count of each file for the manifest: KPI series (SPC charts) per page, and
    kpi_export rows in the workbook. `chart_cache` (optional) is a folder that keeps the Vega
    bundle the pages inline, built once per vl-convert version; `timings`, if given, receives the
    seconds of each step.
    """
    started = time.perf_counter()
    data = load_deck_data(con, min_denominator)
    # The workbook is written by a process of its own while this one builds the pages.
    workbook = WorkbookProcess(
        folder / "flight_deck.xlsx", data.measures, data.extracts, version_id, min_denominator, contact
    )
    try:
        workbook.send(workbook_rows(con))
        queried = time.perf_counter()
        with _without_cycle_collection():
            pages = plan_pages(data, min_denominator)
            number_charts(pages)
            planned = time.perf_counter()
            bundle = javascript_bundle(chart_cache)
            bundled = time.perf_counter()
            extracts = data.extracts
            context = {
                "version_id": version_id,
                "min_denominator": min_denominator,
                "min_denominator_note": (
                    f"shares resting on fewer than {min_denominator} are suppressed" if min_denominator
                    else "no figure is suppressed"
                ),
                "extracts": extracts,
                "latest_extract": max((iso_date(e["extract_date"]) for e in extracts), default="none"),
                "contact": contact,
            }
            counts = write_pages(pages, folder, context, bundle)
        written = time.perf_counter()
        counts["flight_deck.xlsx"] = workbook.result()
    except BaseException:
        workbook.stop()
        raise
    if timings is not None:
        timings.update(
            queries=queried - started, plan=planned - queried, bundle=bundled - planned, pages=written - bundled,
            workbook_wait=time.perf_counter() - written, total=time.perf_counter() - started,
            charts=sum(len(p.charts) for p in pages),
        )  # fmt: skip
    return counts


@contextmanager
def _without_cycle_collection():
    """Python's cycle collector paused: planning the national deck makes millions of small objects
    (rows, cells, points), none in a cycle, and each full collection walks all of them (about 1 s
    of the 2.6 s planning, measured). Reference counting still frees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

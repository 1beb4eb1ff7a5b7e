"""The flight deck pages in a real browser (headless Chromium): every KPI series has its chart,
the console shows no error, and axe-core finds no WCAG 2.2 AA violation. Runs on the pages built
from hand-written v1.1 views (provisional months, suppressed figures, funnels) and on the
committed sample run through the whole pipeline."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines.deck import write_deck
from tests.browser.browser import (
    BrowserUnavailable,
    axe_violations,
    console_errors,
    fetched,
    open_page,
    start_browser,
)
from tests.conftest import run_pipeline
from tests.deck_fixtures import build
from tests.integration.test_nightly_job import SAMPLE

CHART_SERIES = """
return Array.from(document.querySelectorAll('figure.chart')).map(f => [
  f.dataset.chart, f.dataset.force, f.dataset.kpi,
  f.querySelectorAll('svg path, svg line').length,
  f.querySelector('[role=img]').getAttribute('aria-labelledby'),
  (document.getElementById(f.querySelector('[role=img]').getAttribute('aria-labelledby')) || {}).textContent || '',
  f.querySelectorAll('details table tbody tr').length,
  f.dataset.chart === 'spc' ? Array.from(f.querySelectorAll('details table tbody tr'))
    .map(r => [r.cells[0].textContent, r.cells[7].textContent]) : [],
]);
"""


@pytest.fixture(scope="module")
def browser():
    try:
        driver, profile = start_browser()
    except BrowserUnavailable as error:
        pytest.fail(str(error))  # never a skip: CI must not pass without the browser
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def fixture_deck(tmp_path_factory, chart_cache):
    folder = tmp_path_factory.mktemp("deck")
    write_deck(build(), folder, "V1", 10, "Contact: the test team.", chart_cache)
    return folder


@pytest.fixture(scope="module")
def sample_version(tmp_path_factory):
    """The committed sample through the whole nightly job (whatever views the pipeline has by now)."""
    tmp_path = tmp_path_factory.mktemp("sample")
    result, out, warehouse = run_pipeline(SAMPLE, tmp_path)
    assert result.success
    versions = sorted((out / "versions").iterdir())
    return versions[-1], warehouse


def _check_page(browser, path, expected: set[tuple[str, str]]) -> list:
    open_page(browser, path)  # every chart drawn (an <svg> in each), or a failure naming the page
    charts = browser.execute_script(CHART_SERIES)
    spc = {(force, kpi) for kind, force, kpi, *_ in charts if kind == "spc"}
    assert spc == expected
    for kind, force, kpi, marks, labelled_by, alt, rows, _ in charts:
        assert marks > 0 and labelled_by and len(alt) > 40 and rows > 0, (kind, force, kpi)
    assert console_errors(browser) == []
    assert fetched(browser) == []  # nothing from the network, nor from beside the file
    assert axe_violations(browser) == []
    return charts


def test_fixture_pages_in_chromium(browser, fixture_deck):
    kpis = {"withdrawal_rate", "median_days_to_withdrawal", "charges", "sickness_rate"}
    charts = _check_page(browser, fixture_deck / "flight_deck.html", {("ALL", k) for k in kpis})
    assert sum(1 for c in charts if c[0] == "funnel") == 1
    _check_page(browser, fixture_deck / "flight_deck" / "F1.html", {("F1", k) for k in kpis})
    f2 = {("F2", k) for k in kpis - {"sickness_rate"}}
    charts = _check_page(browser, fixture_deck / "flight_deck" / "F2.html", f2)
    assert "The last 2 months are provisional" in next(c[5] for c in charts if c[2] == "withdrawal_rate")
    # The links between pages work from a shared drive (relative paths).
    browser.find_element("link text", "All forces and the list of forces").click()
    assert browser.current_url.endswith("/flight_deck.html")
    browser.find_element("link text", "F2").click()
    assert browser.current_url.endswith("/flight_deck/F2.html")


def test_sample_pages_in_chromium(browser, sample_version, tmp_path):
    version, warehouse = sample_version
    con = duckdb.connect(str(warehouse), read_only=True)
    series = con.execute("select distinct force_code, kpi_id from kpi_export where breakdown = 'all'").fetchall()
    has_provisional = con.execute(
        "select count(*) from information_schema.columns "
        "where table_name = 'kpi_export' and column_name = 'provisional'"
    ).fetchone()[0]
    provisional = set()
    if has_provisional:  # catalogue v1.1's column, once the pipeline has it
        provisional = set(con.execute(
            "select force_code, kpi_id, strftime(period, '%b %Y') from kpi_export "
            "where breakdown = 'all' and provisional"
        ).fetchall())  # fmt: skip
    con.close()
    forces = sorted({f for f, _ in series})
    for force in forces:
        page = version / ("flight_deck.html" if force == "ALL" else f"flight_deck/{force}.html")
        charts = _check_page(browser, page, {(f, k) for f, k in series if f == force})
        # No provisional month carries a signal, and every other month does.
        for _, _, kpi, *_, months in charts:
            for month, signal in months:
                is_provisional = (force, kpi, month) in provisional
                assert (signal == "Provisional: still settling, no signal") == is_provisional, (force, kpi, month)
    browser.save_screenshot(str(tmp_path / "flight-deck.png"))
    assert (tmp_path / "flight-deck.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

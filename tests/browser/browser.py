"""Headless Chromium for the flight deck tests: Debian's chromium and chromium-driver driven by
selenium, with axe-core (from npm, in node_modules) injected into each page. The pages draw their
charts with JavaScript when they open: `open_page` waits until every chart is drawn.

If the browser cannot be started the tests fail with the reason; they never skip. `make test`
installs what is needed (see the Makefile's browser stamp)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# Only a compact summary comes back from the page: returning axe's whole result object can stall the driver.
AXE_SCRIPT = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => [v.id, v.nodes.length, v.nodes.slice(0, 3).map(n => n.target.join(' '))])))
  .catch(e => done([['axe-error', 0, [String(e)]]]));
"""


class BrowserUnavailable(RuntimeError):
    """Chromium or its driver could not be started."""


def start_browser(width: int = 1280, height: int = 1000):
    """A fresh headless Chromium with its own profile folder; returns (driver, profile folder)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        raise BrowserUnavailable(
            f"chromium ({chromium}) or chromedriver ({driver_path}) not found: run `make test`, which installs "
            "Debian's chromium and chromium-driver"
        )
    profile = Path(tempfile.mkdtemp(prefix="flightdeck-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except Exception as error:  # selenium raises several kinds; the reason is what matters
        shutil.rmtree(profile, ignore_errors=True)
        raise BrowserUnavailable(f"headless Chromium did not start: {error}") from error
    driver.set_script_timeout(120)
    return driver, profile


def axe_violations(driver) -> list:
    """axe-core's violations on the open page for the WCAG 2.2 AA tags: [rule id, nodes, examples]."""
    if not AXE.exists():
        raise BrowserUnavailable(f"{AXE} is missing: run `make test` (npm ci installs axe-core)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(AXE_SCRIPT, AXE_TAGS)


def console_errors(driver) -> list[str]:
    """Messages the page logged at error level."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


class ChartsNotDrawn(AssertionError):
    """A page's charts were not all drawn in time."""


def open_page(driver, path: Path, timeout: float = 120) -> None:
    """Open a page and wait until its script has drawn every chart (<html data-charts="drawn">);
    fail if a chart could not be drawn or the drawing does not finish within `timeout` seconds."""
    driver.get(Path(path).resolve().as_uri())
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script("return document.documentElement.dataset.charts || null")
        if state in ("drawn", "failed"):
            break
        time.sleep(0.05)
    empty = driver.execute_script(
        "return Array.from(document.querySelectorAll('figure.chart')).filter(f => !f.querySelector('.svg svg'))"
        ".map(f => f.id)"
    )
    if state != "drawn" or empty:
        raise ChartsNotDrawn(f"{path}: charts {state or 'never started'}; without a drawing: {empty[:5]}; "
                             f"console: {console_errors(driver)[:3]}")  # fmt: skip


def fetched(driver) -> list[str]:
    """Everything the open page fetched after the page itself (it should be nothing)."""
    return driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")

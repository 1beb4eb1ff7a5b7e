"""Screenshots of the flight deck for the README, from a published version:

    .venv/bin/python -m tests.browser.screenshots outputs/versions/<id> docs/img

writes docs/img/flight-deck-summary.png (the top of a force's page: contents and the variation
summary) and docs/img/flight-deck-measure.png (one measure: SPC chart, card and funnel plot)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.browser.browser import open_page, start_browser


def take(version: Path, folder: Path) -> list[Path]:
    """Open the first force's page in headless Chromium and save the two screenshots."""
    page = sorted((version / "flight_deck").glob("*.html"))[0]
    driver, profile = start_browser(1100, 1400)
    written = []
    try:
        open_page(driver, page)  # every chart drawn before the pictures are taken
        folder.mkdir(parents=True, exist_ok=True)
        summary = folder / "flight-deck-summary.png"
        driver.save_screenshot(str(summary))
        written.append(summary)
        measure = driver.find_element("css selector", "article.measure")
        driver.execute_script("arguments[0].scrollIntoView()", measure)
        target = folder / "flight-deck-measure.png"
        measure.screenshot(str(target))
        written.append(target)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return written


if __name__ == "__main__":
    for path in take(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)

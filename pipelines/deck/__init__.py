"""The flight deck for chief officers: pages (`flight_deck.html` and `flight_deck/<FORCE>.html`)
and the spreadsheet (`flight_deck.xlsx`), written into a version folder by `write_deck`.

What belongs where: `data` reads the warehouse through the queries in `sql/deck/` (the one place
that knows the views' columns); `charts` turns series into Vega-Lite specs and inline SVG (with a
content-keyed cache); `pages` fills the Jinja2 templates in `templates/`; `workbook` writes the
spreadsheet; `build` ties them together for publishing.
"""

from pipelines.deck.build import write_deck

__all__ = ["write_deck"]

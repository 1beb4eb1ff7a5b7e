"""The flight deck for chief officers: pages (`flight_deck.html` and `flight_deck/<FORCE>.html`)
and the spreadsheet (`flight_deck.xlsx`), written into a version folder by `write_deck`.

What belongs where: `data` reads the warehouse through the queries in `sql/deck/` (the one place
that knows the views' columns); `charts` turns series into Vega-Lite specs (drawn in the reader's
browser by the Vega bundle it also provides); `pages` fills the Jinja2 templates in `templates/`;
`workbook` writes the spreadsheet (in a process of its own while the pages are built); `build`
ties them together for publishing.
"""

__all__ = ["write_deck"]


def __getattr__(name: str):
    # Imported on first use: the workbook's own process imports this package too, and needs
    # neither altair nor Jinja2.
    if name == "write_deck":
        from pipelines.deck.build import write_deck

        return write_deck
    raise AttributeError(name)

"""`flight_deck.xlsx`: kpi_export as a spreadsheet laid out the way the Government Analysis
Function's guidance on releasing statistics in spreadsheets asks: a cover sheet, a contents
sheet, a notes sheet, then one table per sheet, each an Excel table with one header row, no
merged cells and no blank rows; `[c]` where a value is suppressed, `[x]` where none exists, and
`[p]` on the month of a provisional row.

Laid out with rvgsrust-xlsxwriter, a Python binding to rust_xlsxwriter (cover, contents, notes,
and each table's sheet with its title lines, header row, Excel table and column formats); the
tables' rows, about 1.35 million nationally, are then streamed into the saved file as worksheet
XML written by DuckDB (`pipelines.deck.sheet_rows`), because the binding keeps every cell in
memory until it saves (2.6 GB and 25 s for those rows here). xlsxwriter (pure Python) and
gptables 2.0.2 were tried first and are slower still (see docs/flight-deck.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from itertools import groupby
from pathlib import Path

import pyarrow as pa
import rvgsrust_xlsxwriter as xlsx

from pipelines.deck.formatting import is_percent
from pipelines.deck.sheet_rows import splice_rows

EXCEL_ROWS = 1_048_576
TEXT_ROWS = 3  # title, what the sheet holds, source: above each table's header row
HEADERS = ["Force", "Month", "Breakdown", "Numerator", "Denominator", "Value", "Lower 95% limit",
           "Upper 95% limit", "Status"]  # fmt: skip
CELLS = ["force_code", "month", "breakdown", "numerator", "denominator", "value", "ci_low", "ci_high", "status"]
STYLE = "light1"  # Excel's "Table Style Light 1": plain, with a rule under the header
SYMBOLS = [
    ("[c]", "Confidential: the value rests on too few cases to publish (see note 1)."),
    ("[x]", "Not available: the measure has no such figure (for example no interval for a median)."),
    ("[p]", "Provisional: the month is still settling and its figure will change (see note 2)."),
]


def notes(min_denominator: int) -> list[tuple[str, str]]:
    """The notes sheet's rows."""
    return [
        ("note 1", f"Disclosure rule: a share (proportion) whose denominator is under {min_denominator} has its "
                   "numerator, denominator, value and interval withheld and shown as [c]; its status is "
                   "'suppressed'. Medians, ratios and counts are published as they are."),
        ("note 2", "Provisional months: a month is provisional until the measure's settling period has passed "
                   "after the month's end at the force's extract date (for example 180 days for the victim "
                   "withdrawal rate, 365 for the charge rate of reports); the current month always is. For all "
                   "forces a month is provisional when it is provisional for any force."),
        ("note 3", "Force ALL pools the records of every force (sums of numerators and denominators, medians of "
                   "the pooled items); it is not an average of force figures."),
        ("note 4", "Breakdown 'all' is the whole measure; 'dimension=value' rows (offence group, victim sex, age "
                   "band, ethnicity, relationship, domestic abuse, journey stage) hold the part of it with that "
                   "value. A row exists only where its denominator is above zero."),
        ("note 5", "Shares are stored as fractions and shown as percentages; the 95% interval is the Wilson score "
                   "interval. Medians are in the unit named in the title; for a median the denominator is n."),
    ]  # fmt: skip


def cut_tables(groups: list[tuple[str, str, int]], limit: int) -> list[tuple[str, int, int, str]]:
    """Split kpi_export into tables: one per KPI, and a KPI with more than `limit` rows into parts
    at force boundaries (a force with more rows than `limit` on its own is cut by rows).

    `groups` are (kpi_id, force_code, rows) in table order. Returns (kpi_id, first row, rows, part
    label) for each table, the first row counted from the start of kpi_export; every row is in
    exactly one table."""
    tables = []
    offset = 0
    for kpi_id, forces in groupby(groups, key=lambda g: g[0]):
        forces = list(forces)
        total = sum(n for _, _, n in forces)
        if total <= limit:
            tables.append((kpi_id, offset, total, ""))
            offset += total
            continue
        parts: list[list] = []  # [first row, rows, first force, last force]
        for _, force, n in forces:
            for start in range(0, n, limit):
                piece = min(limit, n - start)
                if not parts or parts[-1][1] + piece > limit:
                    parts.append([offset, 0, force, force])
                parts[-1][1] += piece
                parts[-1][3] = force
                offset += piece
        for number, (first, rows, first_force, last_force) in enumerate(parts, start=1):
            label = f" (part {number} of {len(parts)}: forces {first_force} to {last_force})"
            tables.append((kpi_id, first, rows, label))
    return tables


def write_workbook(
    path: Path,
    rows: pa.Table,
    measures: list[dict],
    extracts: list[dict],
    version_id: str,
    min_denominator: int,
    contact: str,
    row_limit: int = EXCEL_ROWS - TEXT_ROWS - 1,
) -> int:
    """Write the workbook from `rows` (sql/deck/workbook.sql as Arrow); returns the number of
    kpi_export rows written (each exactly once)."""
    kpis = {r["kpi_id"]: r for r in measures}
    keys = zip(rows["kpi_id"].to_pylist(), rows["force_code"].to_pylist(), strict=True)
    groups = [(kpi_id, force, sum(1 for _ in run)) for (kpi_id, force), run in groupby(keys)]
    tables = cut_tables(groups, row_limit)
    book = xlsx.Workbook()
    styles = {
        "title": book.add_format().set_bold().set_font_size(16),
        "heading": book.add_format().set_bold().set_font_size(13),
        "link": book.add_format().set_font_color("#0000FF").set_underline(),
    }

    cover = book.add_worksheet("Cover")
    lines = [
        ("title", "Flight Deck: rape and serious sexual offence investigation measures"),
        ("heading", "What this workbook holds"),
        (None, "Every Operation Soteria measure (KPI) for each force and for all forces together, month by "
               "month, with breakdowns, as published in kpi_export. One table per worksheet; the contents "
               "worksheet lists them."),
        ("heading", "Version"),
        (None, f"Version {version_id}."),
        ("heading", "Extracts used"),
        *((None, f"{e['force_code']}: extract taken {_iso(e['extracted_at'])} "
                 f"(extract date {_iso(e['extract_date'])})") for e in extracts),
        ("heading", "Disclosure rule"),
        (None, f"A share resting on fewer than {min_denominator} cases is not published: it shows [c]."
               if min_denominator else "No figure is suppressed in this version (the minimum is 0)."),
        ("heading", "Provisional figures"),
        (None, "Months whose figures are still settling are marked [p] in the Month column. They will change "
               "as cases progress, and take no part in process control or in comparisons of forces."),
        ("heading", "Symbols used"),
        *((None, f"{symbol} {meaning}") for symbol, meaning in SYMBOLS),
        ("heading", "Contact"),
        (None, contact),
    ]  # fmt: skip
    for number, (style, text) in enumerate(lines):
        _text(cover, number, 0, text, styles.get(style))
    cover.set_column_width(0, 110)

    contents = book.add_worksheet("Contents")
    _text(contents, 0, 0, "Contents", styles["title"])
    _text(contents, 1, 0, "This worksheet contains one table, listing the other worksheets.")
    entries = [("Notes", "Notes on the figures", "")] + [
        (f"Table_{n}", f"{kpis[k]['title']}{part}", f"{count:,}") for n, (k, _, count, part) in enumerate(tables, 1)
    ]
    _table(contents, "contents", 2, len(entries), ["Worksheet", "Table", "Rows"], "The worksheets of this workbook")
    for number, (sheet, text, count) in enumerate(entries, start=3):
        contents.write_url(number, 0, f"internal:'{sheet}'!A1", styles["link"], sheet)
        _text(contents, number, 1, text)
        _text(contents, number, 2, count or "[x]")
    for column, width in enumerate((14, 90, 12)):
        contents.set_column_width(column, width)

    notes_sheet = book.add_worksheet("Notes")
    _text(notes_sheet, 0, 0, "Notes", styles["title"])
    _text(notes_sheet, 1, 0, "This worksheet contains one table of notes referred to in the tables.")
    note_rows = notes(min_denominator)
    _table(notes_sheet, "notes", 2, len(note_rows), ["Note number", "Note text"], "Notes on the figures")
    for number, (note, text) in enumerate(note_rows, start=3):
        _text(notes_sheet, number, 0, note)
        _text(notes_sheet, number, 1, text)
    notes_sheet.set_column_width(0, 14)
    notes_sheet.set_column_width(1, 120)

    formats: dict[str, object] = {}
    for number, (kpi_id, _, _, part) in enumerate(tables, start=1):
        _table_sheet(book, formats, number, kpis[kpi_id], part, styles["title"])
    layout = bytes(book.save_to_buffer())
    placed = [(f"Table_{number}", count) for number, (_, _, count, _) in enumerate(tables, start=1)]
    splice_rows(layout, path, rows.select(CELLS), placed, first_row=TEXT_ROWS + 2)
    return sum(count for _, count in placed)


def _text(sheet, row: int, column: int, text: str, style=None) -> None:
    # write() stores a Python str as text (never as a formula).
    if style is None:
        sheet.write(row, column, text)
    else:
        sheet.write(row, column, text, style)


def _iso(value) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _table(sheet, name: str, header_row: int, rows: int, headers: list[str], description: str) -> None:
    """An Excel table (one header row, no filter buttons) over `rows` rows under `header_row`."""
    columns = [xlsx.TableColumn().set_header(h) for h in headers]
    table = xlsx.Table().set_name(name).set_style(STYLE).set_autofilter(False).set_columns(columns)
    sheet.add_table(header_row, 0, header_row + rows, len(headers) - 1, table.set_alt_text(description))


def _number_formats(book, formats: dict, kpi: dict) -> dict:
    """Each number column's format for a KPI: shares as percentages, counts whole, others to one place."""

    def cached(code: str):
        if code not in formats:
            formats[code] = book.add_format().set_num_format(code)
        return formats[code]

    value = cached("0.0%" if is_percent(kpi["unit"]) else "#,##0" if kpi["kind"] == "count" else "#,##0.0")
    whole = cached("#,##0")
    counts = cached("#,##0.0") if kpi["kind"] == "ratio" else whole
    return {"numerator": counts, "denominator": counts, "value": value, "ci_low": value, "ci_high": value}


def _table_sheet(book, formats: dict, number: int, kpi: dict, part: str, title) -> None:
    """A table's sheet without its rows: title lines, the Excel table (laid out over one row under
    its header: `splice_rows` extends it to the rows it writes), and the number columns' formats
    (which the rows spliced in later take)."""
    sheet = book.add_worksheet(f"Table_{number}")
    heading = f"Table {number}: {kpi['title']} ({kpi['unit']}), by force, breakdown and month{part}"
    _text(sheet, 0, 0, heading, title)
    _text(sheet, 1, 0, "This worksheet contains one table. [c] suppressed, [x] not available, [p] provisional "
                       "month; see the Notes worksheet (notes 1 to 5).")  # fmt: skip
    _text(sheet, 2, 0, f"Source: kpi_export, measure {kpi['kpi_id']}. {kpi['definition']}")
    _table(sheet, f"table_{number}", TEXT_ROWS, 1, HEADERS, heading)
    column_formats = _number_formats(book, formats, kpi)
    for column, width in enumerate((16, 16, 16, 14, 14, 14, 14, 14, 14)):
        sheet.set_column_width(column, width)
        if CELLS[column] in column_formats:
            sheet.set_column_format(column, column_formats[CELLS[column]])


class WorkbookProcess:
    """`write_workbook` in a process of its own, so the workbook is written while this process
    builds the pages (rust_xlsxwriter's binding holds the GIL, so a thread would not overlap).

    The process starts (and imports) at once; `send` hands it the rows as an Arrow stream on its
    standard input, with everything else as a JSON line before it; `result` waits for it and
    returns the number of rows written, or raises with the process's error output."""

    def __init__(self, path: Path, measures: list[dict], extracts: list[dict], version_id: str,
                 min_denominator: int, contact: str, row_limit: int | None = None):  # fmt: skip
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.deck.workbook"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors,
        )  # fmt: skip
        self.settings = {
            "path": str(path), "measures": measures, "version_id": version_id, "min_denominator": min_denominator,
            "contact": contact, "row_limit": row_limit,
            "extracts": [{**e, "extracted_at": _iso(e["extracted_at"]), "extract_date": _iso(e["extract_date"])}
                         for e in extracts],
        }  # fmt: skip

    def send(self, rows: pa.Table) -> None:
        """Hand the process the workbook's rows (sql/deck/workbook.sql as Arrow)."""
        try:
            self.process.stdin.write(json.dumps(self.settings).encode("utf-8") + b"\n")
            with pa.ipc.new_stream(self.process.stdin, rows.schema) as stream:
                stream.write_table(rows)
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # the process has stopped: result() says why

    def result(self) -> int:
        """Wait for the workbook; the number of kpi_export rows written."""
        written = self.process.stdout.read()
        self.process.wait()
        self.errors.seek(0)
        errors = self.errors.read().decode("utf-8", "replace")
        self.errors.close()
        if self.process.returncode != 0:
            raise RuntimeError(f"writing {self.settings['path']} failed:\n{errors}")
        return int(written)

    def stop(self) -> None:
        """End the process (when the pages failed and its workbook will not be published)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.errors.close()


def main() -> None:
    """The workbook's own process: settings as a JSON line, then the rows as an Arrow stream."""
    settings = json.loads(sys.stdin.buffer.readline())
    rows = pa.ipc.open_stream(sys.stdin.buffer).read_all()
    limit = {"row_limit": settings["row_limit"]} if settings["row_limit"] else {}
    written = write_workbook(
        Path(settings["path"]), rows, settings["measures"], settings["extracts"], settings["version_id"],
        settings["min_denominator"], settings["contact"], **limit,
    )  # fmt: skip
    sys.stdout.write(str(written))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # the workbook is saved: skip freeing a million rows one object at a time

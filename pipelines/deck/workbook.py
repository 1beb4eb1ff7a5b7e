"""`flight_deck.xlsx`: kpi_export as a spreadsheet laid out the way the Government Analysis
Function's guidance on releasing statistics in spreadsheets asks: a cover sheet, a contents
sheet, a notes sheet, then one table per sheet, each an Excel table with one header row, no
merged cells and no blank rows; `[c]` where a value is suppressed, `[x]` where none exists, and
`[p]` on the month of a provisional row.

Written with xlsxwriter directly: gptables 2.0.2 keeps a formatting dictionary per cell, which took
13 s per 50,000 rows here (over four minutes and gigabytes of memory for a national kpi_export),
while the same layout written cell by cell takes about 2 s per 50,000 rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from pipelines.deck.formatting import is_percent, iso_date

EXCEL_ROWS = 1_048_576
TEXT_ROWS = 3  # title, what the sheet holds, source: above each table's header row
HEADERS = ["Force", "Month", "Breakdown", "Numerator", "Denominator", "Value", "Lower 95% limit",
           "Upper 95% limit", "Status"]  # fmt: skip
NUMBERS = ["numerator", "denominator", "value", "ci_low", "ci_high"]
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


def cut_tables(rows: pd.DataFrame, limit: int) -> list[tuple[str, pd.DataFrame, str]]:
    """Split kpi_export into tables: one per KPI, and a KPI with more than `limit` rows into parts
    at force boundaries (a force with more rows than `limit` on its own is cut by rows). Returns
    (kpi_id, rows, part label) for each table; every row is in exactly one table."""
    tables = []
    for kpi_id, group in rows.groupby("kpi_id", sort=False):
        if len(group) <= limit:
            tables.append((kpi_id, group, ""))
            continue
        parts, current, size = [], [], 0
        for _, force_rows in group.groupby("force_code", sort=False):
            for start in range(0, len(force_rows), limit):
                piece = force_rows.iloc[start : start + limit]
                if size + len(piece) > limit and current:
                    parts.append(pd.concat(current))
                    current, size = [], 0
                current.append(piece)
                size += len(piece)
        parts.append(pd.concat(current))
        for number, part in enumerate(parts, start=1):
            forces = part["force_code"].iloc[0], part["force_code"].iloc[-1]
            tables.append((kpi_id, part, f" (part {number} of {len(parts)}: forces {forces[0]} to {forces[1]})"))
    return tables


def write_workbook(
    path: Path,
    rows: pd.DataFrame,
    measures: pd.DataFrame,
    extracts: list[dict],
    version_id: str,
    min_denominator: int,
    contact: str,
    row_limit: int = EXCEL_ROWS - TEXT_ROWS - 1,
) -> int:
    """Write the workbook; returns the number of kpi_export rows written (each exactly once)."""
    kpis = {r["kpi_id"]: r for r in measures.to_dict("records")}
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    title = book.add_format({"bold": True, "font_size": 16})
    heading = book.add_format({"bold": True, "font_size": 13})
    wrap = book.add_format({"text_wrap": False})
    link = book.add_format({"font_color": "#0000ff", "underline": 1})
    tables = cut_tables(rows, row_limit)

    cover = book.add_worksheet("Cover")
    lines = [
        (title, "Flight Deck: rape and serious sexual offence investigation measures"),
        (heading, "What this workbook holds"),
        (wrap, "Every Operation Soteria measure (KPI) for each force and for all forces together, month by "
               "month, with breakdowns, as published in kpi_export. One table per worksheet; the contents "
               "worksheet lists them."),
        (heading, "Version"),
        (wrap, f"Version {version_id}."),
        (heading, "Extracts used"),
        *((wrap, f"{e['force_code']}: extract taken {pd.Timestamp(e['extracted_at']).isoformat()} "
                 f"(extract date {iso_date(e['extract_date'])})") for e in extracts),
        (heading, "Disclosure rule"),
        (wrap, f"A share resting on fewer than {min_denominator} cases is not published: it shows [c]."
               if min_denominator else "No figure is suppressed in this version (the minimum is 0)."),
        (heading, "Provisional figures"),
        (wrap, "Months whose figures are still settling are marked [p] in the Month column. They will change "
               "as cases progress, and take no part in process control or in comparisons of forces."),
        (heading, "Symbols used"),
        *((wrap, f"{symbol} {meaning}") for symbol, meaning in SYMBOLS),
        (heading, "Contact"),
        (wrap, contact),
    ]  # fmt: skip
    for number, (style, text) in enumerate(lines):
        cover.write_string(number, 0, text, style)
    cover.set_column(0, 0, 110)

    contents = book.add_worksheet("Contents")
    contents.write_string(0, 0, "Contents", title)
    contents.write_string(1, 0, "This worksheet contains one table, listing the other worksheets.")
    entries = [("Notes", "Notes on the figures", "")] + [
        (f"Table_{n}", f"{kpis[k]['title']}{part}", f"{len(t):,}") for n, (k, t, part) in enumerate(tables, 1)
    ]
    contents.add_table(2, 0, 2 + len(entries), 2, {
        "name": "contents", "style": "Table Style Light 1", "autofilter": False,
        "columns": [{"header": "Worksheet"}, {"header": "Table"}, {"header": "Rows"}],
    })  # fmt: skip
    for number, (sheet, text, count) in enumerate(entries, start=3):
        contents.write_url(number, 0, f"internal:'{sheet}'!A1", link, sheet)
        contents.write_string(number, 1, text)
        contents.write_string(number, 2, count or "[x]")
    contents.set_column(0, 0, 14)
    contents.set_column(1, 1, 90)
    contents.set_column(2, 2, 12)

    notes_sheet = book.add_worksheet("Notes")
    notes_sheet.write_string(0, 0, "Notes", title)
    notes_sheet.write_string(1, 0, "This worksheet contains one table of notes referred to in the tables.")
    note_rows = notes(min_denominator)
    notes_sheet.add_table(2, 0, 2 + len(note_rows), 1, {
        "name": "notes", "style": "Table Style Light 1", "autofilter": False,
        "columns": [{"header": "Note number"}, {"header": "Note text"}],
    })  # fmt: skip
    for number, (note, text) in enumerate(note_rows, start=3):
        notes_sheet.write_string(number, 0, note)
        notes_sheet.write_string(number, 1, text)
    notes_sheet.set_column(0, 0, 14)
    notes_sheet.set_column(1, 1, 120)

    written = 0
    for number, (kpi_id, table, part) in enumerate(tables, start=1):
        written += _write_table(book, number, kpis[kpi_id], table, part, title)
    book.close()
    return written


def _write_table(book, number: int, kpi: dict, table: pd.DataFrame, part: str, title) -> int:
    sheet = book.add_worksheet(f"Table_{number}")
    sheet.write_string(0, 0, f"Table {number}: {kpi['title']} ({kpi['unit']}), by force, breakdown and month{part}",
                       title)  # fmt: skip
    sheet.write_string(1, 0, "This worksheet contains one table. [c] suppressed, [x] not available, [p] provisional "
                             "month; see the Notes worksheet (notes 1 to 5).")  # fmt: skip
    sheet.write_string(2, 0, f"Source: kpi_export, measure {kpi['kpi_id']}. {kpi['definition']}")
    first = TEXT_ROWS
    last = first + len(table)
    sheet.add_table(first, 0, last, len(HEADERS) - 1, {
        "name": f"table_{number}", "style": "Table Style Light 1", "autofilter": False,
        "columns": [{"header": h} for h in HEADERS],
    })  # fmt: skip
    share = book.add_format({"num_format": "0.0%"}) if is_percent(kpi["unit"]) else None
    plain = book.add_format({"num_format": "#,##0" if kpi["kind"] == "count" else "#,##0.0"})
    whole = book.add_format({"num_format": "#,##0"})
    value_format = share or plain
    write_string, write_number = sheet.write_string, sheet.write_number
    suppressed = (table["status"] == "suppressed").tolist()
    months = [
        f"{p:%Y-%m} [p]" if provisional else f"{p:%Y-%m}"
        for p, provisional in zip(pd.to_datetime(table["period"]), table["is_provisional"], strict=True)
    ]
    for column, values in enumerate((table["force_code"].tolist(), months, table["breakdown"].tolist())):
        for row, text in enumerate(values, start=first + 1):
            write_string(row, column, text)
    formats = {"numerator": whole, "denominator": whole, "value": value_format, "ci_low": value_format,
               "ci_high": value_format}  # fmt: skip
    if kpi["kind"] != "proportion":
        formats["numerator"] = formats["denominator"] = plain if kpi["kind"] == "ratio" else whole
    for column, name in enumerate(NUMBERS, start=3):
        style = formats[name]
        for row, (value, hidden) in enumerate(zip(table[name].tolist(), suppressed, strict=True), start=first + 1):
            if hidden:
                write_string(row, column, "[c]")
            elif value is None or value != value:  # NaN: no such figure for this kind of measure
                write_string(row, column, "[x]")
            else:
                write_number(row, column, value, style)
    for row, status in enumerate(table["status"].tolist(), start=first + 1):
        write_string(row, len(HEADERS) - 1, status)
    sheet.set_column(0, 2, 16)
    sheet.set_column(3, 8, 14)
    return len(table)

"""The workbook's table rows, written as worksheet XML by DuckDB and streamed into the saved workbook.

rust_xlsxwriter (through its Python binding) lays the workbook out: cover, contents, notes, and
each table's sheet with its title lines, header row, Excel table and column formats. It would
also take the rows, but it keeps every cell in memory until it saves: 2.6 GB and about 25 s for a
national kpi_export of 1.35 million rows here, and the binding has no constant-memory mode. So
the layout is saved without the rows, and `splice_rows` copies it into the final file, giving
each table's sheet its rows on the way: `sql/deck/sheet_rows.sql` turns every row into a
`<row>` element (text as inline strings, numbers in their shortest exact form with the column's
number format, `[c]` and `[x]` where a number is withheld or missing), read in batches and
compressed straight into the file, the next batch written by DuckDB (on a thread of its own) while
the last is compressed; each sheet's Excel table, laid out over one row, is extended to its rows.
About 6 s for the same rows, measured.
"""

from __future__ import annotations

import io
import posixpath
import queue
import re
import threading
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.warehouse import read_sql

COMPRESS_LEVEL = 1  # deflate level of every part: 99 MB in 6 s nationally, against 79 MB in 10 s at 6
BATCH_ROWS = 50_000
COUNT_COLUMNS = (4, 5)  # numerator, denominator (columns D and E, counted from 1)
VALUE_COLUMNS = (6, 7, 8)  # value and its interval (F to H)


def sheet_parts(frame: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet's name and the zip part holding it (from xl/workbook.xml and its relations)."""
    targets = {
        rel_id: target
        for rel_id, target in re.findall(
            r'<Relationship Id="([^"]+)" Type="[^"]+/worksheet" Target="([^"]+)"',
            frame.read("xl/_rels/workbook.xml.rels").decode("utf-8"),
        )
    }
    sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="([^"]+)"', frame.read("xl/workbook.xml").decode())
    return {name: "xl/" + targets[rel_id].lstrip("/").removeprefix("xl/") for name, rel_id in sheets}


def column_styles(sheet_xml: str) -> dict[int, int]:
    """The style index of each column with a format of its own (from the sheet's <col> elements)."""
    styles = {}
    for attributes in re.findall(r"<col ([^>]*?)/>", sheet_xml):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', attributes))
        if "style" in fields:
            for column in range(int(fields["min"]), int(fields["max"]) + 1):
                styles[column] = int(fields["style"])
    return styles


def _style_of(styles: dict[int, int], columns: tuple[int, ...], part: str) -> int:
    found = {styles.get(c) for c in columns}
    if len(found) != 1 or None in found:
        raise ValueError(f"{part}: columns {columns} have no single number format ({found})")
    return found.pop()


def _text_bytes(array: pa.Array) -> memoryview:
    """The text of a string array without nulls, end to end, without copying it."""
    if array.null_count:
        raise ValueError("a worksheet row came out empty")
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())
    offset_type = np.dtype(np.int64 if pa.types.is_large_string(array.type) else np.int32)
    _, offsets_buffer, data = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type, count=len(array) + 1,
                            offset=array.offset * offset_type.itemsize)  # fmt: skip
    return memoryview(data)[offsets[0] : offsets[-1]]


class _RowStream:
    """sheet_rows.sql's rows in order, handed out a given number at a time. The batches are fetched
    by a thread of their own, so DuckDB writes the next rows' XML while this thread compresses the
    last ones (both let go of the GIL)."""

    def __init__(self, reader: pa.RecordBatchReader):
        self.batches: queue.Queue = queue.Queue(maxsize=2)
        self.pending: pa.Array | None = None
        self.ended = self.stopped = False
        # Started last: the thread may run at once and reads the state above.
        self.fetcher = threading.Thread(target=self._fetch, args=(reader,), daemon=True)
        self.fetcher.start()

    def _fetch(self, reader: pa.RecordBatchReader) -> None:
        try:
            for batch in reader:
                if self.stopped:
                    break
                self.batches.put(batch.column(0))
        except BaseException as error:  # handed to the writing thread, which raises it
            self.batches.put(error)
        else:
            self.batches.put(None)

    def _next(self) -> pa.Array | None:
        if self.ended:
            return None
        item = self.batches.get()
        if isinstance(item, BaseException):
            raise item
        self.ended = item is None
        return item

    def write(self, count: int, out) -> None:
        while count:
            if self.pending is None or len(self.pending) == 0:
                self.pending = self._next()
                if self.pending is None:
                    raise ValueError("the workbook's tables hold more rows than were given")
            piece = self.pending.slice(0, count)
            out.write(_text_bytes(piece))
            self.pending = self.pending.slice(len(piece))
            count -= len(piece)

    def left_over(self) -> int:
        """Rows not handed out (none when every table took its own)."""
        left = len(self.pending) if self.pending is not None else 0
        while (batch := self._next()) is not None:
            left += len(batch)
        return left

    def close(self) -> None:
        """Stop fetching (after a failure half way) and wait for the fetching thread to end, so the
        connection it reads is closed only after it."""
        self.stopped = True
        while self.fetcher.is_alive():
            try:
                self.batches.get(timeout=0.1)
            except queue.Empty:
                pass


def splice_rows(frame_bytes: bytes, path: Path, cells: pa.Table, tables: list[tuple[str, int]],
                first_row: int) -> None:  # fmt: skip
    """Write the workbook `frame_bytes` (saved without table rows) to `path`, giving each table's sheet
    its rows. `cells` are the rows in table order, columns A to I; `tables` are (sheet name, row
    count) in sheet order, taking `cells` end to end; `first_row` is the worksheet row (counted
    from 1) of each table's first row."""
    frame = zipfile.ZipFile(io.BytesIO(frame_bytes))
    parts = sheet_parts(frame)
    by_part = {parts[name]: count for name, count in tables}
    counts = [count for _, count in tables]
    if sum(counts) != cells.num_rows:
        raise ValueError("the workbook's tables do not hold its rows exactly")
    order = [part for part in frame.namelist() if part in by_part]
    if order != [parts[name] for name, _ in tables]:
        raise ValueError("the workbook's table sheets are not stored in table order")

    count_styles, value_styles, heads, table_refs = [], [], {}, {}
    for part in order:
        xml = frame.read(part).decode("utf-8")
        styles = column_styles(xml)
        count_styles.append(_style_of(styles, COUNT_COLUMNS, part))
        value_styles.append(_style_of(styles, VALUE_COLUMNS, part))
        heads[part] = xml
        table_refs[_table_part(frame, part)] = first_row + by_part[part] - 1
    # Per row, set-based: its worksheet row within its table, and its table's number formats.
    starts = np.cumsum([0, *counts[:-1]], dtype=np.int64)
    sheet_row = np.arange(cells.num_rows, dtype=np.int64) - np.repeat(starts, counts)
    cells = cells.append_column("sheet_row", pa.array(sheet_row + first_row))
    cells = cells.append_column("count_style", pa.array(np.repeat(count_styles, counts).astype(np.int32)))
    cells = cells.append_column("value_style", pa.array(np.repeat(value_styles, counts).astype(np.int32)))

    con = duckdb.connect(config={"threads": 1})  # the pages are being built beside it
    stream = None
    try:
        con.register("workbook_cells", cells)
        con.execute(read_sql("deck/sheet_cell_macros.sql"))
        stream = _RowStream(con.execute(read_sql("deck/sheet_rows.sql")).to_arrow_reader(BATCH_ROWS))
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as book:
            for part in frame.namelist():
                if part in table_refs:
                    book.writestr(part, _extend_table(frame.read(part).decode("utf-8"), part, table_refs[part]))
                    continue
                if part not in by_part:
                    book.writestr(part, frame.read(part))
                    continue
                count = by_part[part]
                head, tail = _split_sheet(heads[part], part, first_row + count - 1)
                with book.open(part, "w", force_zip64=True) as out:
                    out.write(head.encode("utf-8"))
                    stream.write(count, out)
                    out.write(tail.encode("utf-8"))
        if stream.left_over():
            raise ValueError("the workbook's rows outnumber its tables' rows")
    finally:
        if stream is not None:
            stream.close()
        con.close()


def _table_part(frame: zipfile.ZipFile, sheet: str) -> str:
    """The zip part of the one Excel table on a worksheet (from the sheet's relationships)."""
    folder, name = sheet.rsplit("/", 1)
    rels = frame.read(f"{folder}/_rels/{name}.rels").decode("utf-8")
    targets = re.findall(r'<Relationship Id="[^"]+" Type="[^"]+/table" Target="([^"]+)"', rels)
    if len(targets) != 1:
        raise ValueError(f"{sheet}: not one Excel table but {len(targets)}")
    return posixpath.normpath(posixpath.join(folder, targets[0]))


def _extend_table(xml: str, part: str, last_row: int) -> str:
    """The Excel table reaching the last row of the rows spliced under its header (it is laid out
    over one row: rust_xlsxwriter's add_table takes about 1 µs a row, 1.4 s nationally). The
    tables have no filter buttons, so there is no filter range to extend as well."""
    if "<autoFilter" in xml:
        raise ValueError(f"{part}: a table with a filter range, which would need extending too")
    xml, found = re.subn(r'(<table [^>]*\bref="[A-Z]+\d+:[A-Z]+)\d+"', rf'\g<1>{last_row}"', xml, count=1)
    if found != 1:
        raise ValueError(f"{part}: no table range to extend")
    return xml


def _split_sheet(xml: str, part: str, last_row: int) -> tuple[str, str]:
    """The sheet's XML before and after where its table rows go (the end of <sheetData>), with its
    dimension reaching the last row."""
    if xml.count("</sheetData>") != 1:
        raise ValueError(f"{part}: no single <sheetData> to put the rows in")
    xml, found = re.subn(r'<dimension ref="A1:([A-Z]+)\d+"/>', rf'<dimension ref="A1:\g<1>{last_row}"/>', xml)
    if found != 1:
        raise ValueError(f"{part}: no dimension to extend")
    head, tail = xml.split("</sheetData>")
    return head, "</sheetData>" + tail

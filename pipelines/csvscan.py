"""The byte-level facts about a CSV file that DuckDB's reader does not give.

DuckDB parses the rows (in parallel, typed in one pass), but it skips blank lines, does not
count line breaks inside quoted values in its line numbers, and accepts a quote in the middle
of an unquoted value as part of it. The contract wants physical line numbers and RFC 4180
quoting, so before a file is staged it is scanned here, vectorised with numpy over memory-
mapped blocks (never a Python loop over rows):

- a file with no quote character and no blank line (the usual case) needs nothing more: its
  n-th record starts on line n + 1;
- otherwise the scan finds every line break outside quotes, hence where each record starts
  (its physical line, counting breaks inside quoted values and blank lines), and checks that
  every quote opens at the start of a value and closes at its end.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUOTE, COMMA, CR, LF = 34, 44, 13, 10
BLOCK = 64 << 20


class CsvStructureError(ValueError):
    """A file that is not RFC 4180 CSV; the message gives the line and column."""


@dataclass
class CsvLayout:
    """Where the data records of a file start. `record_lines` is None when record n is on line n + 1."""

    record_lines: np.ndarray | None
    records: int | None = None


def _column_at(data, line_start: int, position: int) -> int:
    """1-based column of a byte position, counting commas outside quotes from the line start."""
    column, quoted = 1, False
    for byte in data[line_start:position]:
        if byte == QUOTE:
            quoted = not quoted
        elif byte == COMMA and not quoted:
            column += 1
    return column


def _locate(buffer: np.ndarray, newlines_before: int, position: int) -> tuple[int, int]:
    """Line and column of a byte position, given how many line breaks come before it."""
    breaks = np.flatnonzero(buffer[max(0, position - (1 << 20)) : position] == LF)
    line_start = max(0, position - (1 << 20)) + int(breaks[-1]) + 1 if len(breaks) else 0
    return newlines_before + 1, _column_at(bytes(buffer[line_start:position]), 0, position - line_start)


def locate(path: Path, position: int) -> tuple[int, int]:
    """Line and column (both 1-based) of a 0-based byte position in a file."""
    with path.open("rb") as handle:
        before = handle.read(position)
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, _column_at(before, line_start, position)


def _needs_scan(data) -> bool:
    if data.find(b'"') >= 0:
        return True
    if data[:1] in (b"\n", b"\r"):
        return True
    return data.find(b"\n\n") >= 0 or data.find(b"\n\r\n") >= 0


def layout_of(path: Path) -> CsvLayout:
    """Record start lines of a CSV file; raises CsvStructureError on misplaced or unclosed quotes."""
    size = path.stat().st_size
    if size == 0:
        return CsvLayout(None, 0)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if not _needs_scan(data):
            return CsvLayout(None)
    return _scan(np.memmap(path, dtype=np.uint8, mode="r"), size)


def _scan(buffer: np.ndarray, size: int) -> CsvLayout:
    breaks, ranks = [], []  # positions of line breaks outside quotes, and how many breaks precede each
    quotes_before, newlines_before = 0, 0
    for start in range(0, size, BLOCK):
        block = buffer[start : start + BLOCK]
        quotes = np.flatnonzero(block == QUOTE)
        newlines = np.flatnonzero(block == LF)
        if len(quotes):
            _check_quotes(buffer, quotes + start, quotes_before, newlines_before, newlines + start)
            inside = (np.searchsorted(quotes, newlines) + quotes_before) % 2 == 1
        else:
            inside = np.full(len(newlines), quotes_before % 2 == 1)
        outside = ~inside
        breaks.append(newlines[outside] + start)
        ranks.append(np.flatnonzero(outside) + newlines_before)
        quotes_before += len(quotes)
        newlines_before += len(newlines)
    if quotes_before % 2:
        last = int(np.flatnonzero(buffer == QUOTE)[-1])
        line, column = _locate(buffer, int(np.count_nonzero(buffer[:last] == LF)), last)
        raise CsvStructureError(f"line {line}, column {column}: a quoted value is never closed")
    breaks, ranks = np.concatenate(breaks), np.concatenate(ranks)
    # Segment k runs from the byte after break k-1 to break k; it starts on line (rank of break k-1) + 2.
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [size]))
    lines = np.concatenate(([1], ranks + 2))
    length = ends - starts
    first_byte = buffer[np.minimum(starts, size - 1)]
    blank = (length == 0) | ((length == 1) & (first_byte == CR))
    records = lines[~blank][1:]  # the first non-blank segment is the header
    return CsvLayout(records.astype(np.int64), len(records))


def _check_quotes(buffer, positions, quotes_before, newlines_before, newlines) -> None:
    """A quote must open a value (after a comma or line start) or close one (before a comma or line end)."""
    opening = (np.arange(len(positions)) + quotes_before) % 2 == 0
    previous = np.where(positions > 0, buffer[np.maximum(positions - 1, 0)], LF)
    following = np.where(positions + 1 < len(buffer), buffer[np.minimum(positions + 1, len(buffer) - 1)], LF)
    # An escaped quote ("") is a closing quote followed at once by an opening one.
    starts_file = positions == (3 if bytes(buffer[:3]) == b"\xef\xbb\xbf" else 0)  # after a BOM, if any
    opens_well = np.isin(previous, (COMMA, LF, CR)) | (previous == QUOTE) | starts_file
    closes_well = np.isin(following, (COMMA, LF, CR, QUOTE))
    bad = np.flatnonzero(np.where(opening, ~opens_well, ~closes_well))
    if len(bad):
        position = int(positions[bad[0]])
        before = newlines_before + int(np.searchsorted(newlines, position))
        line, column = _locate(buffer, before, position)
        if opening[bad[0]]:
            raise CsvStructureError(
                f"line {line}, column {column}: a quote inside an unquoted value (quote the whole value, "
                'and double any quote inside it: "")'
            )
        raise CsvStructureError(f"line {line}, column {column}: text after the closing quote of a value")

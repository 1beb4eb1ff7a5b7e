"""The byte-level facts about a CSV file that DuckDB's reader does not give.

DuckDB parses the rows (in parallel, typed in one pass), but it skips blank lines, does not
count line breaks inside quoted values in its line numbers, accepts a quote in the middle of
an unquoted value as part of it, drops an empty field beyond the header's without a word, and
stops with no line at all at a file whose lines end in both LF and CRLF. The contract wants
physical line numbers, RFC 4180 quoting, LF or CRLF line ends and as many fields in every
record as in the header, so before a file is staged it is scanned here, vectorised with numpy
over memory-mapped blocks (never a Python loop over rows). The scan finds every line break
outside quotes, hence where each record starts (its physical line, counting breaks inside
quoted values and blank lines) and how many fields it has, and checks that every quote opens
at the start of a value and closes at its end, that a carriage return outside quotes ends a
line, and that every line of a file ends the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUOTE, COMMA, CR, LF = 34, 44, 13, 10
BLOCK = 64 << 20
BOUNDARY = np.isin(np.arange(256), (COMMA, LF, CR, QUOTE))  # bytes a quote may follow or precede


class CsvStructureError(ValueError):
    """A file that is not RFC 4180 CSV; the message gives the line and column."""


@dataclass
class CsvLayout:
    """Where the data records of a file start. `record_lines` is None when record n is on line n + 1."""

    record_lines: np.ndarray | None
    records: int | None = None


def column_at(data, line_start: int, position: int) -> int:
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
    return newlines_before + 1, column_at(bytes(buffer[line_start:position]), 0, position - line_start)


def locate(path: Path, position: int) -> tuple[int, int]:
    """Line and column (both 1-based) of a 0-based byte position in a file."""
    with path.open("rb") as handle:
        before = handle.read(position)
    line_start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, column_at(before, line_start, position)


def layout_of(path: Path) -> CsvLayout:
    """Record start lines of a CSV file; raises CsvStructureError on misplaced or unclosed quotes,
    a stray carriage return, mixed line ends, or a record with more or fewer fields than the header."""
    size = path.stat().st_size
    if size == 0:
        return CsvLayout(None, 0)
    return _scan(np.memmap(path, dtype=np.uint8, mode="r"), size)


def _scan(buffer: np.ndarray, size: int) -> CsvLayout:
    breaks, ranks, commas_per_segment = [], [], []  # line breaks outside quotes, LFs before each, commas
    quotes_before, newlines_before, open_commas = 0, 0, 0
    for start in range(0, size, BLOCK):
        block = buffer[start : start + BLOCK]
        quotes = np.flatnonzero(block == QUOTE)
        newlines = np.flatnonzero(block == LF)
        commas = np.flatnonzero(block == COMMA)
        returns = np.flatnonzero(block == CR)
        if len(quotes):
            _check_quotes(buffer, quotes + start, quotes_before, newlines_before, newlines + start)
            # Odd after byte i when an odd number of quotes precede it in the file: for a byte that
            # is not itself a quote, that means inside a quoted value.
            inside = np.logical_xor.accumulate(block == QUOTE)
            if quotes_before % 2:
                np.logical_not(inside, out=inside)
            kept, returns, commas = ~inside[newlines], returns[~inside[returns]], commas[~inside[commas]]
        elif quotes_before % 2:  # the whole block inside one quoted value
            kept, returns, commas = np.zeros(len(newlines), dtype=bool), returns[:0], commas[:0]
        else:
            kept = np.ones(len(newlines), dtype=bool)
        block_breaks = newlines[kept]
        if len(returns):
            _check_returns(buffer, returns + start, newlines_before, newlines + start)
        # Commas outside quotes counted per segment (the text between two line breaks outside quotes).
        before = np.searchsorted(commas, block_breaks)
        counts = np.diff(np.concatenate(([0], before, [len(commas)])))
        counts[0] += open_commas
        commas_per_segment.append(counts[:-1])
        open_commas = int(counts[-1])
        breaks.append(block_breaks + start)
        ranks.append(np.flatnonzero(kept) + newlines_before)
        quotes_before += len(quotes)
        newlines_before += len(newlines)
    if quotes_before % 2:
        last = int(np.flatnonzero(buffer == QUOTE)[-1])
        line, column = _locate(buffer, int(np.count_nonzero(buffer[:last] == LF)), last)
        raise CsvStructureError(f"line {line}, column {column}: a quoted value is never closed")
    breaks, ranks = np.concatenate(breaks), np.concatenate(ranks)
    _check_line_ends(buffer, breaks, ranks)
    # Segment k runs from the byte after break k-1 to break k; it starts on line (rank of break k-1) + 2.
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [size]))
    lines = np.concatenate(([1], ranks + 2))
    fields = np.concatenate([*commas_per_segment, [open_commas]]) + 1
    length = ends - starts
    first_byte = buffer[np.minimum(starts, size - 1)]
    blank = (length == 0) | ((length == 1) & (first_byte == CR))
    lines, fields = lines[~blank], fields[~blank]  # the first non-blank segment is the header
    if len(lines) == 0:
        return CsvLayout(None, 0)
    wrong = np.flatnonzero(fields[1:] != fields[0])
    if len(wrong):
        record = int(wrong[0]) + 1
        raise CsvStructureError(
            f"line {int(lines[record])}: record has {int(fields[record])} fields, the header has {int(fields[0])}"
        )
    records = lines[1:]
    if int(lines[0]) == 1 and np.array_equal(records, np.arange(2, len(records) + 2)):
        return CsvLayout(None, len(records))  # record n is on line n + 1: nothing to join
    return CsvLayout(records.astype(np.int64), len(records))


def _check_returns(buffer: np.ndarray, returns: np.ndarray, newlines_before: int, newlines: np.ndarray) -> None:
    """A carriage return outside quotes is the first half of a CRLF line end."""
    size = len(buffer)
    stray = returns[(returns + 1 >= size) | (buffer[np.minimum(returns + 1, size - 1)] != LF)]
    if len(stray):
        position = int(stray[0])
        line, column = _locate(buffer, newlines_before + int(np.searchsorted(newlines, position)), position)
        raise CsvStructureError(
            f"line {line}, column {column}: a carriage return that does not end a line (lines end with LF or CRLF)"
        )


def _check_line_ends(buffer: np.ndarray, breaks: np.ndarray, ranks: np.ndarray) -> None:
    """Every line break outside quotes is LF, or every one is CRLF."""
    if len(breaks) == 0:
        return
    crlf = (breaks > 0) & (buffer[np.maximum(breaks - 1, 0)] == CR)
    other = np.flatnonzero(crlf != crlf[0])
    if len(other):
        names = ("LF", "CRLF")
        raise CsvStructureError(
            f"line {int(ranks[other[0]]) + 1}: ends with {names[int(crlf[other[0]])]} where line {int(ranks[0]) + 1} "
            f"ends with {names[int(crlf[0])]}; a file's lines all end the same way"
        )


def _check_quotes(buffer, positions, quotes_before, newlines_before, newlines) -> None:
    """A quote must open a value (after a comma or line start) or close one (before a comma or line end)."""
    opening = (np.arange(len(positions)) + quotes_before) % 2 == 0
    previous = np.where(positions > 0, buffer[np.maximum(positions - 1, 0)], LF)
    following = np.where(positions + 1 < len(buffer), buffer[np.minimum(positions + 1, len(buffer) - 1)], LF)
    # An escaped quote ("") is a closing quote followed at once by an opening one.
    starts_file = positions == (3 if bytes(buffer[:3]) == b"\xef\xbb\xbf" else 0)  # after a BOM, if any
    opens_well = BOUNDARY[previous] | starts_file
    closes_well = BOUNDARY[following]
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

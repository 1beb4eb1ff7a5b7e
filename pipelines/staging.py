"""Loading one contract CSV into DuckDB as text, with the physical line each row starts on.

DuckDB's own CSV reader parses the file (in parallel, in one pass); every value is kept as
text, because parsing belongs to the screening rules: an unparseable value is quarantined
with its reason instead of failing the load. A record the reader cannot take (wrong number of
fields, invalid UTF-8, an over-long line) rejects the extract, naming the file, line and
column; the byte-level scan in `pipelines.csvscan` supplies the physical line numbers and the
RFC 4180 quoting check that the reader does not.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.contract import Column, Table
from pipelines.csvscan import CsvStructureError, layout_of, locate
from pipelines.rules import sql_literal

MAX_PROBLEMS_PER_FILE = 3


class MalformedCsv(Exception):
    """A file the contract's CSV rules reject; the message names the file, line and column."""


def stage_table_ddl(table: Table) -> str:
    """DDL of a stage table: the extract, the line, then every contract column as text."""
    columns = ", ".join(f"{name} varchar" for name in table.column_names)
    return f"create or replace table stage_{table.name} (extract_id varchar, line_number bigint, {columns})"


def _reader(path: Path, columns: list[str]) -> str:
    """DuckDB's reader of the file, its columns named by position (`c1`, `c2`, ...): the header's
    own names may be anything (`ordinality`, names DuckDB takes as equal, an empty name, a NUL)."""
    spec = ", ".join(f"'c{number}': 'VARCHAR'" for number in range(1, len(columns) + 1))
    return (
        f"read_csv({sql_literal(str(path))}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {{{spec}}}, strict_mode = true, null_padding = false, "
        "store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')"
    )


def _as_read(column: Column, number: int | None) -> str:
    """A contract column from the file's field `number` (absent: all null). A text value of only
    spaces or tabs is a blank field, so a null: `   ` is no case_id, and no suspect_id. Values of
    other types need no such care: their parse and code-list rules already refuse spaces."""
    if number is None:
        return f"null::varchar as {column.name}"
    if column.type == "string":
        return f"case when trim(rows.c{number}, ' \t') = '' then null else rows.c{number} end as {column.name}"
    return f"rows.c{number} as {column.name}"


FIELD_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _rejects(con, path: Path, where: str) -> list[str]:
    """What the reader refused, as the contract's file/line/column messages."""
    rows = con.execute(
        """
        select byte_position, column_idx, error_type, error_message
        from csv_rejects order by byte_position limit $limit
        """,
        {"limit": MAX_PROBLEMS_PER_FILE},
    ).fetchall()
    problems = []
    for byte_position, _column, error_type, message in rows:
        # The reader's byte position is 1-based; its own line numbers leave out quoted line breaks.
        line, column = locate(path, max((byte_position or 1) - 1, 0))
        counts = FIELD_COUNTS.search(message or "")
        if counts:
            detail = f"record has {counts.group(2)} fields, the header has {counts.group(1)}"
        else:
            detail = {
                "INVALID ENCODING": "not valid UTF-8",
                "LINE SIZE OVER MAXIMUM": "the line is longer than the reader's maximum (2 MB)",
            }.get(error_type, (message or error_type).strip().splitlines()[0])
            problems.append(f"{where}: line {line}, column {column}: {detail}")
            continue
        problems.append(f"{where}: line {line}: {detail}")
    return problems


def load_csv(con, extract_id: str, table: Table, path: Path, columns: list[str], where: str | None = None) -> int:
    """Append one file (header `columns`) to `stage_<table>`; return rows read or raise MalformedCsv."""
    where = where or f"{extract_id}/{table.file_name}"
    try:
        layout = layout_of(path)
    except CsvStructureError as problem:
        raise MalformedCsv(f"{where}: {problem}") from None
    position = {name: number for number, name in reversed(list(enumerate(columns, start=1)))}
    select = ", ".join(_as_read(column, position.get(column.name)) for column in table.columns)
    if layout.record_lines is None:
        line, join = "rows.ordinality + 1", ""
    else:
        lines = pa.table({"record": np.arange(1, len(layout.record_lines) + 1), "line": layout.record_lines})
        con.register("record_lines", lines)
        line, join = "record_lines.line", "inner join record_lines on record_lines.record = rows.ordinality"
    con.execute("drop table if exists csv_rejects; drop table if exists csv_reject_scans")
    before = con.execute(f"select count(*) from stage_{table.name}").fetchone()[0]
    try:
        con.execute(
            f"""
            insert into stage_{table.name}
            select $extract_id, {line}, {select}
            from {_reader(path, columns)} with ordinality as rows
            {join}
            """,
            {"extract_id": extract_id},
        )
    except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.BinderException) as error:
        # The scan above catches every fault known to stop the reader; one it does not know is
        # still this file's problem, never the run's.
        first_line = (str(error).splitlines() or [type(error).__name__])[0][:200]
        raise MalformedCsv(f"{where}: the CSV reader cannot read the file: {first_line}") from None
    rows = con.execute(f"select count(*) from stage_{table.name}").fetchone()[0] - before
    problems = _rejects(con, path, where)
    if layout.record_lines is not None:
        con.unregister("record_lines")
    if not problems and layout.records is not None and rows != layout.records:
        problems = [f"{where}: the reader found {rows:,} records where the file has {layout.records:,}"]
    if problems:
        raise MalformedCsv("; ".join(problems))
    return rows


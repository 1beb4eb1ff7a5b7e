"""Loading contract CSVs into DuckDB as text, with the line each row came from.

Rows are streamed in Arrow record batches (never a whole file in memory) and kept as
text: parsing belongs to the screening rules, so an unparseable value is quarantined
with its reason instead of failing the load.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.contract import Table

BLOCK_SIZE = 16 << 20


class MalformedCsv(Exception):
    """A record whose field count does not match the header."""


def stage_table_ddl(table: Table) -> str:
    """DDL of a stage table: the extract, the line, then every contract column as text."""
    columns = ", ".join(f"{name} varchar" for name in table.column_names)
    return f"create or replace table stage_{table.name} (extract_id varchar, line_number bigint, {columns})"


def _line_numbers(batch: pa.RecordBatch, first_line: int) -> tuple[pa.Array, int]:
    """The physical line each record starts on, counting line breaks inside quoted values."""
    breaks = None  # every staged file has at least its required columns
    for column in batch.columns:
        counted = pc.fill_null(pc.count_substring(column, "\n"), 0)
        breaks = counted if breaks is None else pc.add(breaks, counted)
    breaks = pc.cast(breaks, pa.int64())
    # A record starts one line after the previous record's last line.
    spans = pc.add(breaks, 1)
    ends = pc.cumulative_sum(spans)
    starts = pc.add(pc.subtract(ends, spans), first_line)
    last = first_line + (pc.sum(spans).as_py() or 0)
    return starts, last


def load_csv(con, extract_id: str, table: Table, path: Path, columns: list[str]) -> int:
    """Append one extract's file (header `columns`) to `stage_<table>`; return rows read."""
    malformed: list[str] = []

    def on_invalid_row(row) -> str:
        malformed.append(
            f"{extract_id}/{table.file_name}: line {row.number}: record has "
            f"{row.actual_columns} fields, the header has {row.expected_columns}"
        )
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=BLOCK_SIZE),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in columns},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    present = [n for n in table.column_names if n in columns]
    select = ", ".join(n if n in present else f"null::varchar as {n}" for n in table.column_names)
    next_line, rows = 2, 0  # line 1 is the header
    for batch in reader:
        if malformed:
            break
        lines, next_line = _line_numbers(batch, next_line)
        frame = pa.RecordBatch.from_arrays(
            [lines, *(batch.column(n) for n in present)], names=["line_number", *present]
        )
        con.register("incoming_batch", frame)
        con.execute(
            f"insert into stage_{table.name} select ?, line_number, {select} from incoming_batch",
            [extract_id],
        )
        con.unregister("incoming_batch")
        rows += batch.num_rows
    if malformed:
        con.execute(f"delete from stage_{table.name} where extract_id = ?", [extract_id])
        raise MalformedCsv(malformed[0])
    return rows

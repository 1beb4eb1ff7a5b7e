"""Running SQL files against DuckDB, and the national warehouse connection."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def read_sql(relative: str) -> str:
    """The text of one query file under sql/."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


@contextmanager
def national(warehouse):
    """A connection to the national warehouse (a DuckDBResource), with DuckDB's progress bar off."""
    with warehouse.get_connection() as con:
        con.execute("set enable_progress_bar = false")
        yield con


def markdown_preview(con, query: str, limit: int = 10) -> str:
    """The first rows of a query as a markdown table, for asset metadata in the UI."""
    cursor = con.execute(f"select * from ({query}) limit {int(limit)}")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def run_sql_file(con, relative: str, params: dict | None = None, create_table: str | None = None, temp: bool = False):
    """Run one query file (after the shared macros), optionally into a new (temporary) table.
    Returns the connection, ready to fetch the query's rows."""
    con.execute(read_sql("macros.sql"))
    query = read_sql(relative)
    if create_table:
        if not temp:
            drop_other_kind(con, create_table, "table")
        query = f"create or replace {'temp ' if temp else ''}table {create_table} as\n{query}"
    return con.execute(query, params or {})


def drop_other_kind(con, name: str, kind: str) -> None:
    """Drop `name` if it exists as the other kind of object ("table" or "view"): a warehouse written
    by an earlier version may hold a table where this version keeps a view, or the reverse, and
    `create or replace` cannot change the kind."""
    other, catalog = ("view", "duckdb_views()") if kind == "table" else ("table", "duckdb_tables()")
    found = con.execute(
        f"select count(*) from {catalog} where {other}_name = ? and schema_name = 'main' "
        "and database_name = current_database() and not temporary",
        [name],
    ).fetchone()[0]
    if found:
        con.execute(f'drop {other} "{name}"')

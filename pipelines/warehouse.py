"""Writing and reading the DuckDB warehouse tables that sit between the stages."""

from __future__ import annotations

from pathlib import Path

from pipelines.contract import TABLES, Table
from pipelines.extracts import Extract

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def read_sql(relative: str) -> str:
    """The text of one query file under sql/."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def write_inventory(con, extracts: list[Extract]) -> None:
    """`extract_inventory` (one row per extract) and `extract_files` (one per CSV)."""
    con.execute(
        """
        create or replace table extract_inventory (
            extract_id varchar primary key, path varchar, force_code varchar,
            extracted_at timestamptz, extract_date date, schema_version varchar,
            source_system varchar, problems varchar[]
        )
        """
    )
    con.execute(
        """
        create or replace table extract_files (
            extract_id varchar, table_name varchar, path varchar, sha256 varchar,
            columns varchar[], ignored_columns varchar[]
        )
        """
    )
    con.execute("create or replace table stage_problems (extract_id varchar, table_name varchar, problem varchar)")
    for e in extracts:
        con.execute(
            "insert into extract_inventory values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                e.extract_id, str(e.path), e.force_code, e.extracted_at, e.extract_date,
                e.schema_version, e.source_system, e.problems,
            ],
        )  # fmt: skip
        for f in e.files.values():
            con.execute(
                "insert into extract_files values (?, ?, ?, ?, ?, ?)",
                [e.extract_id, f.table, str(f.path), f.sha256, list(f.columns), list(f.ignored_columns)],
            )


def screened_rows_view(con) -> None:
    """`screened_rows`: the row verdicts of every table, for counting per extract."""
    union = "\nunion all\n".join(
        f"select '{t.name}' as table_name, extract_id, line_number, reasons from screened_{t.name}" for t in TABLES
    )
    con.execute(f"create or replace view screened_rows as {union}")


def valid_table_sql(table: Table) -> str:
    """`valid_<table>`: valid rows of the extract used for each force, with its T and D_T."""
    return f"""
        create or replace table valid_{table.name} as
        select
            verdict.force_code,
            verdict.extracted_at,
            verdict.extract_date,
            screened.* exclude (reasons, line_number),
        from screened_{table.name} as screened
        inner join extract_verdicts as verdict on verdict.extract_id = screened.extract_id
        where verdict.status = 'used' and len(screened.reasons) = 0
        order by verdict.force_code, screened.line_number
    """


def quarantine_sql(table: Table) -> str:
    """Quarantined rows exactly as read, with their source file, line and reasons."""
    return f"""
        select
            stage.extract_id,
            verdict.force_code,
            verdict.status as extract_status,
            stage.extract_id || '/{table.file_name}' as source_file,
            stage.line_number,
            array_to_string(screened.reasons, '; ') as reasons,
            stage.* exclude (extract_id, line_number),
        from screened_{table.name} as screened
        inner join stage_{table.name} as stage
            on stage.extract_id = screened.extract_id and stage.line_number = screened.line_number
        inner join extract_verdicts as verdict on verdict.extract_id = screened.extract_id
        where len(screened.reasons) > 0
        order by stage.extract_id, stage.line_number
    """


def markdown_preview(con, query: str, limit: int = 10) -> str:
    """The first rows of a query as a markdown table, for asset metadata in the UI."""
    cursor = con.execute(f"select * from ({query}) limit {int(limit)}")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def run_sql_file(
    con, relative: str, params: dict | None = None, create_table: str | None = None, temp: bool = False
):
    """Run one query file (after the shared macros), optionally into a new (temporary) table.
    Returns the connection, ready to fetch the query's rows."""
    con.execute(read_sql("macros.sql"))
    query = read_sql(relative)
    if create_table:
        query = f"create or replace {'temp ' if temp else ''}table {create_table} as\n{query}"
    return con.execute(query, params or {})

"""The store of extracts already staged and screened, keyed by content.

Each extract is staged (DuckDB's CSV reader, text kept as read) and screened (the contract's
rules) once, in its own DuckDB session, and the result is kept under its content key:

    <cache>/extracts/<key>/result.json        load problems, row counts, broken rules per table
    <cache>/extracts/<key>/valid/<table>.parquet       typed valid rows, with force, T and D_T
    <cache>/extracts/<key>/quarantine/<table>.parquet  quarantined rows as read, with line and reasons

A result folder is written under a temporary name and renamed into place, so a run killed
part-way leaves nothing that a later run could mistake for a finished result.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.cache import code_fingerprint, key_of, read_json, write_json
from pipelines.contract import TABLES, TABLES_BY_NAME
from pipelines.duck import DuckDBLimits, connect
from pipelines.extracts import Extract
from pipelines.faults import checkpoint
from pipelines.kpis import CONTRACT_VERSION
from pipelines.rules import sql_literal
from pipelines.screening import screen_sql
from pipelines.staging import MalformedCsv, load_csv, stage_table_ddl

RESULT_FILE = "result.json"


def extract_key(extract: Extract) -> str:
    """The content key of an extract: its manifest and files, and the staging and screening code."""
    return key_of(
        "extract",
        CONTRACT_VERSION,
        code_fingerprint("stage"),
        extract.manifest_sha256,
        sorted((name, f.sha256, list(f.columns)) for name, f in extract.files.items()),
    )


@dataclass
class ExtractResult:
    """What staging and screening found in one extract."""

    key: str
    folder: Path
    problems: list[str] = field(default_factory=list)  # rejections found while loading rows
    tables: dict[str, dict] = field(default_factory=dict)  # per supplied table: counts and broken rules

    def valid_path(self, table: str) -> Path:
        """Parquet file of the table's valid rows."""
        return self.folder / "valid" / f"{table}.parquet"

    def quarantine_path(self, table: str) -> Path | None:
        """Parquet file of the table's quarantined rows, if any were quarantined."""
        if self.tables.get(table, {}).get("rows_quarantined", 0) == 0:
            return None
        return self.folder / "quarantine" / f"{table}.parquet"


def load_result(cache: Path, key: str) -> ExtractResult | None:
    """A stored result, or None if this content has not been processed with this code."""
    folder = cache / "extracts" / key
    document = read_json(folder / RESULT_FILE)
    if not _whole_result(document):
        return None  # never stored, or damaged on disk: staged again
    return ExtractResult(key, folder, document["problems"], document["tables"])


def _whole_result(document) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("problems"), list)
        and isinstance(document.get("tables"), dict)
    )


def _valid_sql(table_name: str) -> str:
    columns = ", ".join(TABLES_BY_NAME[table_name].column_names)
    return f"""
        select ext.force_code, ext.extracted_at, ext.extract_date, {columns}
        from screened_{table_name} as screened, extract_inventory as ext
        where len(screened.reasons) = 0
        order by screened.line_number
    """


def _quarantine_sql(table_name: str, extract_id: str) -> str:
    table = TABLES_BY_NAME[table_name]
    raw = ", ".join(f"stage.{name}" for name in table.column_names)
    return f"""
        select
            stage.extract_id,
            ext.force_code,
            stage.extract_id || '/{table.file_name}' as source_file,
            stage.line_number,
            array_to_string(screened.reasons, '; ') as reasons,
            {raw}
        from screened_{table_name} as screened
        inner join stage_{table_name} as stage on stage.line_number = screened.line_number,
            extract_inventory as ext
        where len(screened.reasons) > 0
        order by stage.line_number
    """


def _broken_rules(con, table_name: str) -> list[list]:
    return [
        list(row)
        for row in con.execute(
            f"""
            select split_part(reason, ':', 1) as rule_id, count(*) as rule_rows, min(line_number) as first_line
            from (select line_number, unnest(reasons) as reason from screened_{table_name})
            group by rule_id order by rule_rows desc, rule_id
            """
        ).fetchall()
    ]


def stage_and_screen(extract: Extract, cache: Path, limits: DuckDBLimits | None = None) -> ExtractResult:
    """Stage and screen one extract (which passed inspection) and store the result under its key."""
    key = extract_key(extract)
    final = cache / "extracts" / key
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
    try:
        result = _process(extract, key, work, limits)
        write_json(work / RESULT_FILE, {"problems": result.problems, "tables": result.tables})
        checkpoint("stage")
        if final.exists() and not _whole_result(read_json(final / RESULT_FILE)):
            shutil.rmtree(final)  # damaged on disk (truncated, say): replaced by this result
        try:
            work.rename(final)
        except OSError:
            if not (final / RESULT_FILE).exists():  # another run stored the same content first
                raise
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExtractResult(key, final, result.problems, result.tables)


def _process(extract: Extract, key: str, work: Path, limits: DuckDBLimits | None) -> ExtractResult:
    result = ExtractResult(key, work)
    con = connect(limits=limits)
    try:
        con.execute(
            "create table extract_inventory (extract_id varchar, force_code varchar, extracted_at timestamptz, "
            "extract_date date)"
        )
        con.execute(
            "insert into extract_inventory values (?, ?, ?, ?)",
            [extract.extract_id, extract.force_code, extract.extracted_at, extract.extract_date],
        )
        for table in TABLES:
            con.execute(stage_table_ddl(table))
            found = extract.files.get(table.name)
            if found is None:
                continue
            try:
                load_csv(con, extract.extract_id, table, found.path, list(found.columns))
            except MalformedCsv as problem:
                result.problems.append(str(problem))
        if result.problems:
            return result
        (work / "valid").mkdir()
        for table in TABLES:
            con.execute(screen_sql(table))
            if table.name not in extract.files:
                continue
            rows, quarantined = con.execute(
                f"select count(*), count(*) filter (where len(reasons) > 0) from screened_{table.name}"
            ).fetchone()
            result.tables[table.name] = {
                "rows_read": rows,
                "rows_quarantined": quarantined,
                "rows_accepted": rows - quarantined,
                "broken_rules": _broken_rules(con, table.name) if quarantined else [],
            }
        for table in TABLES:
            path = work / "valid" / f"{table.name}.parquet"
            con.execute(f"copy ({_valid_sql(table.name)}) to {sql_literal(str(path))} (format parquet)")
            if result.tables.get(table.name, {}).get("rows_quarantined"):
                (work / "quarantine").mkdir(exist_ok=True)
                path = work / "quarantine" / f"{table.name}.parquet"
                query = _quarantine_sql(table.name, extract.extract_id)
                con.execute(f"copy ({query}) to {sql_literal(str(path))} (format parquet)")
    finally:
        con.close()
    return result

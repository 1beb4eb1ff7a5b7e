"""The Great Expectations quality gate, run inside DuckDB.

Suites in `expectations/` are generated from the contract rules (`pipelines.rules`) and
committed as JSON; `flightdeck expectations` rewrites them and a test fails if the committed
files differ. The gate runs each committed suite with GX's SQL data source against DuckDB
(through the duckdb-engine SQLAlchemy dialect), so every expectation is one set-based query
over the valid rows however many there are, instead of a pass over pandas chunks.

The gate checks the valid rows of the extracts a run is about to use. A result is kept under
the extract's key and the suites' fingerprint, so rows already gated are not gated again.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines.contract import TABLES, Table
from pipelines.duck import DuckDBLimits
from pipelines.rules import ALL_RULES, case_has_column, sql_literal

EXPECTATIONS_DIR = Path(__file__).resolve().parents[1] / "expectations"
MAX_EXAMPLES = 5


def suite_name(table: Table) -> str:
    """The suite's name, also the name of its blocking asset check."""
    return f"{table.name}_contract"


def suite_path(table: Table) -> Path:
    """Where the suite's JSON is committed."""
    return EXPECTATIONS_DIR / f"{suite_name(table)}.json"


def build_suite(table: Table) -> dict:
    """The GX suite of one table, as the JSON document committed in expectations/."""
    return {
        "name": suite_name(table),
        "meta": {
            "generated_by": "flightdeck expectations (from pipelines/contract.py)",
            "table": f"valid_{table.name}",
        },
        "expectations": [r.expectation for r in ALL_RULES[table.name] if r.expectation],
    }


def suite_text(table: Table) -> str:
    """The suite file's exact text."""
    return json.dumps(build_suite(table), indent=2, sort_keys=True) + "\n"


def write_suites() -> list[Path]:
    """Regenerate every suite file from the contract."""
    EXPECTATIONS_DIR.mkdir(exist_ok=True)
    paths = []
    for table in TABLES:
        suite_path(table).write_text(suite_text(table), encoding="utf-8")
        paths.append(suite_path(table))
    return paths


@lru_cache(maxsize=1)
def _gx():
    """Great Expectations, imported once (it is slow to import) and told to keep DuckDB connections.

    GX 1.x keeps one open connection only for the dialects it lists; DuckDB's query results
    live on their connection, so DuckDB is added to that list (a result fetched after GX closed
    its connection would be empty).
    """
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    class DuckDBDialect(str):
        value = "duckdb"

    if "duckdb" not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS, DuckDBDialect("duckdb"))
    return gx


def load_suite(table: Table):
    """The committed suite as a GX ExpectationSuite; fails if GX dropped any expectation."""
    gx = _gx()
    document = json.loads(suite_path(table).read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**document)
    if len(suite.expectations) != len(document["expectations"]):
        raise ValueError(
            f"{suite_path(table)}: GX loaded {len(suite.expectations)} of "
            f"{len(document['expectations'])} expectations; check their types and arguments"
        )
    return suite


def gate_view_sql(table: Table, rows: str | None = None, valid_cases: str = "valid_cases") -> str:
    """The rows GX sees: a valid table plus the columns some rules compare against.

    `has_valid_case` is null where case_id is blank, as in the quarantine SQL: a blank
    case_id breaks the required rule, not the reference rule. `case_has_<column>` (for the
    case columns the table requires, e.g. a suspect action's suspect_id) is null where there
    is no valid case, which breaks the reference rule instead.
    """
    rows = rows or f"valid_{table.name}"
    if table.case_reference:
        case_columns = "".join(f", {c}" for c in table.case_must_have)
        must_have = "".join(
            f",\n                case when parent.case_id is not null then parent.{c} is not null end "
            f"as {case_has_column(c)}"
            for c in table.case_must_have
        )
        return f"""
            select
                child.*,
                case when child.case_id is not null then parent.case_id is not null end as has_valid_case{must_have}
            from {rows} as child
            left join (select force_code, case_id{case_columns} from {valid_cases}) as parent
                on parent.force_code = child.force_code and parent.case_id = child.case_id
        """
    return f"select * from {rows}"


@dataclass
class GateResult:
    """What one suite found on the rows it checked."""

    table: str
    rows: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list] = field(default_factory=dict)
    expectations: int = 0

    @property
    def success(self) -> bool:
        """True when no expectation failed."""
        return not self.failures


_GATE_DATABASES = itertools.count()  # a name for each gate's database in this process


def _parquet_list(paths: list[Path]) -> str:
    return "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"


def gate_database_sql(valid_files: dict[str, list[Path]], limits: DuckDBLimits) -> list[str]:
    """The statements that make the gate's database under the run's DuckDB limits: `gate_<table>`,
    the rows each suite checks (one per table), read straight from the valid Parquet files of
    the extracts being gated (a view, or a table for rows that look up their case)."""
    statements = [f"set {name} = {sql_literal(str(value))}" for name, value in limits.config().items()]
    for table in TABLES:
        statements.append(
            f"create view valid_{table.name} as select * from read_parquet({_parquet_list(valid_files[table.name])})"
        )
    statements.append("create table valid_cases_keys as select force_code, case_id, suspect_id from valid_cases")
    for table in TABLES:
        # Rows that look up their case are joined once here, not once per expectation.
        kind = "table" if table.case_reference else "view"
        statements.append(
            f"create {kind} gate_{table.name} as {gate_view_sql(table, valid_cases='valid_cases_keys')}"
        )
    return statements


def run_gate(valid_files: dict[str, list[Path]], limits: DuckDBLimits | None = None, log=None) -> dict[str, GateResult]:
    """Run every committed suite, in DuckDB, over the valid rows in `valid_files` (per table, the
    Parquet files of the extracts being gated), under the run's DuckDB `limits`; returns each
    table's result. The gate runs in the process `pipelines.gate_process` started for it, if any,
    else here."""
    from pipelines import gate_process

    results = gate_process.run(valid_files, limits)
    if results is None:
        results = gate_here(valid_files, limits)
    if log:
        for table, result in results.items():
            log(f"validate: {table}: {result.expectations} expectations on {result.rows:,} rows, "
                f"{'passed' if result.success else 'FAILED'}")  # fmt: skip
    return results


def gate_here(valid_files: dict[str, list[Path]], limits: DuckDBLimits | None = None) -> dict[str, GateResult]:
    """The gate in this process."""
    gx = _gx()
    import sqlalchemy as sa
    from great_expectations.data_context.types.base import ProgressBarsConfig

    limits = limits or DuckDBLimits.from_env()
    # The gate's rows are kept in a DuckDB database in memory, not in a file: writing DuckDB's
    # compressed storage took 3.8 s of the national gate's 9.5 s (measured 2026-12-03). It is
    # named, so GX's own connection (the same driver, the same settings) opens the same database;
    # `holder` keeps it alive until the suites have run, and closing it frees the memory.
    url = f"duckdb:///:memory:flightdeck_gate_{os.getpid()}_{next(_GATE_DATABASES)}"
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as holder:

        def execute(statement: str):
            try:
                return holder.exec_driver_sql(statement)
            except sa.exc.DBAPIError as error:  # DuckDB's own error, as the run names DuckDB's errors
                raise error.orig from None

        for statement in gate_database_sql(valid_files, limits):
            execute(statement)
        holder.commit()
        rows = {t.name: execute(f"select count(*) from gate_{t.name}").scalar() for t in TABLES}
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)  # they swamp the run log
        source = context.data_sources.add_sql("flightdeck", connection_string=url)
        results = {}
        try:
            for table in TABLES:
                suite = load_suite(table)
                asset = source.add_table_asset(f"gate_{table.name}", table_name=f"gate_{table.name}")
                batch = asset.add_batch_definition_whole_table("all").get_batch()
                # Most nights every expectation holds: BOOLEAN_ONLY asks the database only that (the
                # sample's gate 0.64 s against 1.05 s); a suite with any failure is validated again
                # with SUMMARY for its counts and examples.
                outcome = batch.validate(suite, result_format="BOOLEAN_ONLY")
                if not outcome.success:
                    outcome = batch.validate(suite, result_format="SUMMARY")
                result = GateResult(table.name, rows=rows[table.name], expectations=len(suite.expectations))
                for item in outcome.results:
                    if item.success:
                        continue
                    rule_id = item.expectation_config.meta.get("rule_id", item.expectation_config.type)
                    result.failures[rule_id] = max(item.result.get("unexpected_count") or 0, 1)  # an error counts once
                    examples = result.examples.setdefault(rule_id, [])
                    if (item.exception_info or {}).get("raised_exception"):
                        examples.append(item.exception_info.get("exception_message"))
                    examples.extend(item.result.get("partial_unexpected_list", [])[: MAX_EXAMPLES - len(examples)])
                results[table.name] = result
        finally:
            engine = source.get_execution_engine()
            if getattr(engine, "_connection", None) is not None:
                engine._connection.close()
            engine.engine.dispose()
    return results

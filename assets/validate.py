"""Validate stage: judge each force's extracts, gate the rows a run will use with Great
Expectations (blocking: bad data never reaches a KPI), and gather every verdict."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from assets.stage import FORCE_BACKFILL, FORCES, extract_rows, run_extracts, run_inventory
from pipelines.cache import code_fingerprint, key_of, read_json, write_json
from pipelines.contract import TABLES
from pipelines.extract_store import extract_key, load_result
from pipelines.faults import checkpoint
from pipelines.forces import judge, loadable, read_force_state, write_force_state
from pipelines.publish import previous_case_counts
from pipelines.quality import run_gate
from pipelines.resources import FlightDeckSettings, RunLock
from pipelines.rollup import gather, write_extract_tables, write_row_tables
from pipelines.warehouse import markdown_preview, national

SHRINK_LIMIT = 0.15


def _results(extracts, cache):
    return {e.extract_id: load_result(cache, extract_key(e)) for e in loadable(extracts)}


@asset(
    group_name="validate",
    partitions_def=FORCES,
    backfill_policy=FORCE_BACKFILL,
    deps=[extract_rows],
)
def valid_rows(context: AssetExecutionContext, settings: FlightDeckSettings, run_lock: RunLock) -> MaterializeResult:
    """Each extract of the force judged: `used` (the newest accepted extract, by extracted_at as an
    instant), `superseded` (accepted but older) or `rejected` (with every reason: manifest, files,
    headers, encoding, malformed records, or more than the allowed share of a table's rows
    quarantined). The valid rows of the used extract are the only rows the KPIs read."""
    forces, extracts = run_extracts(context, settings)
    paths = settings.paths
    results = _results(extracts, paths.cache)
    summary = {}
    for force in forces:
        mine = [e for e in extracts if e.force_code == force]
        verdicts = judge(mine, results, settings.quarantine_threshold)
        write_force_state(paths.state, force, mine, verdicts, threshold=settings.quarantine_threshold)
        summary[force] = {v.extract.extract_id: v.status for v in verdicts}
        for verdict in verdicts:
            if verdict.status == "rejected":
                context.log.warning(f"extract {verdict.extract.extract_id} rejected: {'; '.join(verdict.reasons)}")
    used = sum(status == "used" for statuses in summary.values() for status in statuses.values())
    context.log.info(f"validate: {len(forces)} force(s) judged, {used} with an extract to use")
    return MaterializeResult(metadata={"verdicts": MetadataValue.json(summary), "forces_with_data": used})


def _gate_key(extract_key: str) -> str:
    return key_of("gate", code_fingerprint("gate"), extract_key)


@asset_check(
    asset=valid_rows,
    name="contract_suites",
    blocking=True,
    description="The committed Great Expectations suites (expectations/*.json) pass on every valid row "
    "the run will use.",
)
def contract_suites(context, settings: FlightDeckSettings) -> AssetCheckResult:
    """Run every suite, inside DuckDB, over the used extracts' valid rows not gated before."""
    forces, extracts = run_extracts(context, settings)
    paths = settings.paths
    pending = {}
    for force in forces:
        mine = [e for e in extracts if e.force_code == force]
        state = read_force_state(paths.state, force, mine)
        if state and state["used"]:
            extract = next(e for e in mine if e.extract_id == state["used"])
            gate_file = paths.cache / "gate" / f"{_gate_key(extract_key(extract))}.json"
            if not (read_json(gate_file) or {}).get("passed"):
                pending[gate_file] = state["used_result"]
    failures, examples, rows = {}, {}, 0
    if pending:
        folders = sorted(set(pending.values()))
        valid = {t.name: [f"{folder}/valid/{t.name}.parquet" for folder in folders] for t in TABLES}
        for table, result in run_gate(valid, settings.limits, log=context.log.info).items():
            rows += result.rows
            for rule_id, count in result.failures.items():
                failures[rule_id] = count
                examples[rule_id] = [str(v) for v in result.examples.get(rule_id, [])]
                context.log.error(
                    f"quality gate: valid {table} rows break {rule_id} on {count:,} row(s) "
                    f"(e.g. {', '.join(examples[rule_id][:5])}); nothing downstream will be computed or published"
                )
        checkpoint("validate")
        if not failures:
            for gate_file in pending:
                write_json(gate_file, {"passed": True})
    return AssetCheckResult(
        passed=not failures,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "extracts_gated": len(pending),
            "rows_checked": rows,
            "failed_rules": MetadataValue.json(failures),
            "examples": MetadataValue.json(examples),
        },
    )


@asset(group_name="validate", deps=["kpi_partials"])
def extract_verdicts(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource, run_lock: RunLock
) -> MaterializeResult:
    """Every extract's verdict in the warehouse (`extract_verdicts`, `extract_files`,
    `extract_table_counts`), the used extracts' valid rows (`valid_<table>` views) and every
    quarantined row as read, with its file, line and every rule it breaks (`quarantine_<table>`;
    published as quarantine/<table>.parquet: fix the extract from there)."""
    paths = settings.paths
    extracts = run_inventory(context, settings)
    inputs = gather(paths.state, extracts)
    with national(warehouse) as con:
        write_extract_tables(con, inputs)
        write_row_tables(con, inputs)
        statuses = dict(con.execute("select status, count(*) from extract_verdicts group by all").fetchall())
        quarantined = {t.name: con.execute(f"select count(*) from quarantine_{t.name}").fetchone()[0] for t in TABLES}
        preview = markdown_preview(con, "select extract_id, force_code, status, reasons from extract_verdicts", 20)
    return MaterializeResult(
        metadata={
            "used": statuses.get("used", 0),
            "superseded": statuses.get("superseded", 0),
            "rejected": statuses.get("rejected", 0),
            "rows_quarantined": MetadataValue.json(quarantined),
            "verdicts": MetadataValue.md(preview),
        }
    )


@asset_check(asset=extract_verdicts, blocking=True, description="At least one extract was accepted.")
def some_extract_accepted(warehouse: DuckDBResource) -> AssetCheckResult:
    """If no extract can be accepted, nothing is computed or published."""
    with national(warehouse) as con:
        used = con.execute("select count(*) from extract_verdicts where status = 'used'").fetchone()[0]
    return AssetCheckResult(passed=used > 0, metadata={"extracts_used": used})


@asset_check(
    asset=extract_verdicts,
    blocking=False,
    description="No force's valid cases shrank by more than 15% against the latest published version.",
)
def cases_not_shrunk(settings: FlightDeckSettings, warehouse: DuckDBResource) -> AssetCheckResult:
    """A warning, not a gate: a sudden drop usually means a partial export worth a look."""
    previous = previous_case_counts(settings.out_path)
    with national(warehouse) as con:
        current = dict(
            con.execute(
                """
                select v.force_code, c.rows_accepted from extract_table_counts as c
                inner join extract_verdicts as v using (extract_id)
                where v.status = 'used' and c.table_name = 'cases'
                """
            ).fetchall()
        )
    shrunk = {
        force: {"previous": before, "now": current.get(force, 0)}
        for force, before in previous.items()
        if force in current and current[force] < (1 - SHRINK_LIMIT) * before
    }
    return AssetCheckResult(
        passed=not shrunk,
        severity=AssetCheckSeverity.WARN,
        metadata={"shrunk_forces": MetadataValue.json(shrunk), "forces_compared": len(previous)},
    )

"""Validate stage: apply the contract's rules, judge each extract, keep valid rows, and gate
them with Great Expectations blocking checks (bad data never reaches a KPI)."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from pipelines.contract import TABLES, Table
from pipelines.publish import previous_case_counts
from pipelines.quality import run_gate, suite_name
from pipelines.resources import FlightDeckSettings
from pipelines.screening import screen_sql
from pipelines.warehouse import (
    markdown_preview,
    quarantine_sql,
    run_sql_file,
    screened_rows_view,
    valid_table_sql,
)

SHRINK_LIMIT = 0.15


def build_screened_asset(table: Table) -> AssetsDefinition:
    """`screened_<table>`: typed rows with the list of rules each breaks."""
    deps = [f"stage_{table.name}", "extract_inventory"]
    if table.case_reference:
        deps.append("screened_cases")

    @asset(name=f"screened_{table.name}", group_name="validate", deps=deps)
    def _screened(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
        with warehouse.get_connection() as con:
            con.execute(screen_sql(table))
            rows, quarantined = con.execute(
                f"select count(*), count(*) filter (where len(reasons) > 0) from screened_{table.name}"
            ).fetchone()
            top = markdown_preview(
                con,
                f"""
                select split_part(reason, ':', 1) as rule_id, count(*) as rows
                from (select unnest(reasons) as reason from screened_{table.name})
                group by all order by rows desc, rule_id
                """,
                15,
            )
        context.log.info(f"validate: {table.file_name}: {rows:,} rows screened, {quarantined:,} break a rule")
        return MaterializeResult(
            metadata={"rows": rows, "rows_quarantined": quarantined, "rules_broken": MetadataValue.md(top)}
        )

    _screened.__doc__ = (
        f"Every staged row of {table.file_name} typed per the contract, with `reasons`: each "
        "contract rule the row breaks (empty for a valid row). Generated from pipelines/rules.py."
    )
    return _screened


@asset(group_name="validate", deps=[f"screened_{t.name}" for t in TABLES])
def extract_verdicts(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource
) -> MaterializeResult:
    """Each extract's verdict: `used` (the newest accepted extract of its force, by
    extracted_at as an instant), `superseded` (accepted but older) or `rejected` (with every
    reason: manifest, files, headers, encoding, malformed records, or more than the allowed
    share of a table's rows quarantined)."""
    with warehouse.get_connection() as con:
        screened_rows_view(con)
        run_sql_file(con, "validate/extract_table_counts.sql", create_table="extract_table_counts")
        run_sql_file(con, "validate/extract_verdicts.sql", {"threshold": settings.quarantine_threshold})
        statuses = dict(con.execute("select status, count(*) from extract_verdicts group by all").fetchall())
        for extract_id, reasons in con.execute(
            "select extract_id, reasons from extract_verdicts where status = 'rejected' order by all"
        ).fetchall():
            context.log.warning(f"extract {extract_id} rejected: {'; '.join(reasons)}")
        preview = markdown_preview(
            con, "select extract_id, force_code, extracted_at, status, reasons from extract_verdicts", 20
        )
    return MaterializeResult(
        metadata={
            "used": statuses.get("used", 0),
            "superseded": statuses.get("superseded", 0),
            "rejected": statuses.get("rejected", 0),
            "verdicts": MetadataValue.md(preview),
        }
    )


@asset_check(asset=extract_verdicts, blocking=True, description="At least one extract was accepted.")
def some_extract_accepted(warehouse: DuckDBResource) -> AssetCheckResult:
    """If no extract can be accepted, nothing is computed or published."""
    with warehouse.get_connection() as con:
        used = con.execute("select count(*) from extract_verdicts where status = 'used'").fetchone()[0]
    return AssetCheckResult(passed=used > 0, metadata={"extracts_used": used})


def build_valid_asset(table: Table) -> tuple[AssetsDefinition, object]:
    """`valid_<table>` and its blocking Great Expectations check."""
    deps = [f"screened_{table.name}", "extract_verdicts"]
    if table.case_reference:
        deps.append("valid_cases")

    @asset(name=f"valid_{table.name}", group_name="validate", deps=deps)
    def _valid(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
        with warehouse.get_connection() as con:
            con.execute(valid_table_sql(table))
            per_force = dict(
                con.execute(f"select force_code, count(*) from valid_{table.name} group by all order by all").fetchall()
            )
            preview = markdown_preview(con, f"select * from valid_{table.name}", 5)
        context.log.info(f"validate: valid_{table.name}: {sum(per_force.values()):,} rows")
        return MaterializeResult(
            metadata={
                "rows": sum(per_force.values()),
                "rows_per_force": MetadataValue.json(per_force),
                "preview": MetadataValue.md(preview),
            }
        )

    _valid.__doc__ = (
        f"Valid rows of {table.file_name} from the extract used for each force, with the force "
        "code, extracted_at (T) and extract_date (D_T). The only input the KPIs read."
    )

    @asset_check(
        asset=_valid,
        name=f"{suite_name(table)}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite_name(table)}.json passes on every row.",
    )
    def _gate(context, settings: FlightDeckSettings, warehouse: DuckDBResource) -> AssetCheckResult:
        with warehouse.get_connection() as con:
            result = run_gate(con, table, settings.gate_chunk_rows, log=context.log.info)
        for rule_id, rows in result.failures.items():
            examples = ", ".join(str(v) for v in result.examples.get(rule_id, []))
            context.log.error(
                f"quality gate: valid_{table.name} breaks {rule_id} on {rows:,} row(s) (e.g. {examples}); "
                "nothing downstream will be computed or published"
            )
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows_checked": result.rows,
                "chunks": result.chunks,
                "expectations": result.expectations,
                "failed_rules": MetadataValue.json(result.failures),
                "examples": MetadataValue.json({k: [str(v) for v in vs] for k, vs in result.examples.items()}),
            },
        )

    return _valid, _gate


def build_quarantine_asset(table: Table) -> AssetsDefinition:
    """`quarantine_<table>`: every quarantined row, as read, with file, line and reasons."""

    @asset(name=f"quarantine_{table.name}", group_name="validate", deps=[f"screened_{table.name}", "extract_verdicts"])
    def _quarantine(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
        with warehouse.get_connection() as con:
            con.execute(f"create or replace table quarantine_{table.name} as {quarantine_sql(table)}")
            per_extract = dict(
                con.execute(
                    f"select extract_id, count(*) from quarantine_{table.name} group by all order by all"
                ).fetchall()
            )
            preview = markdown_preview(
                con, f"select source_file, line_number, reasons from quarantine_{table.name}", 10
            )
        context.log.info(f"validate: quarantine_{table.name}: {sum(per_extract.values()):,} rows")
        return MaterializeResult(
            metadata={
                "rows": sum(per_extract.values()),
                "rows_per_extract": MetadataValue.json(per_extract),
                "preview": MetadataValue.md(preview),
            }
        )

    _quarantine.__doc__ = (
        f"Every quarantined row of {table.file_name} from every loaded extract, exactly as read, with "
        "its source file, line number and every rule it breaks. Published as quarantine/"
        f"{table.name}.parquet; fix the extract from here."
    )
    return _quarantine


@asset_check(
    asset="valid_cases",
    blocking=False,
    description="No force's valid cases shrank by more than 15% against the latest published version.",
)
def cases_not_shrunk(settings: FlightDeckSettings, warehouse: DuckDBResource) -> AssetCheckResult:
    """A warning, not a gate: a sudden drop usually means a partial export worth a look."""
    previous = previous_case_counts(settings.out_path)
    with warehouse.get_connection() as con:
        current = dict(con.execute("select force_code, count(*) from valid_cases group by all").fetchall())
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


screened_assets = [build_screened_asset(t) for t in TABLES]
quarantine_assets = [build_quarantine_asset(t) for t in TABLES]
_valid_pairs = [build_valid_asset(t) for t in TABLES]
valid_assets = [pair[0] for pair in _valid_pairs]
gate_checks = [pair[1] for pair in _valid_pairs]

"""Discover stage: find every extract in the inbox and check what can be checked unread."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.extracts import inspect_adapted, inspect_inbox
from pipelines.resources import FlightDeckSettings
from pipelines.warehouse import markdown_preview, write_inventory


@asset(group_name="discover", deps=["adapted_extracts"])
def extract_inventory(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource
) -> MaterializeResult:
    """Every extract folder in the inbox and every extract the adapt stage made: its
    manifest (force, extracted_at), file hashes and headers, and the problems that reject it
    before any row is read (missing manifest or file, unsupported schema version, missing or
    duplicated columns, identifier-like column names, invalid UTF-8, or a raw export the adapter could not map)."""
    extracts = inspect_inbox(settings.inbox_path) + inspect_adapted(settings.adapted_path)
    with warehouse.get_connection() as con:
        write_inventory(con, extracts)
        preview = markdown_preview(
            con, "select extract_id, force_code, extracted_at, len(problems) as problems from extract_inventory"
        )
    problems = [p for e in extracts for p in e.problems]
    for problem in problems:
        context.log.warning(f"rejected: {problem}")
    context.log.info(f"discover: {len(extracts)} extract(s) found in {settings.inbox_path}")
    return MaterializeResult(
        metadata={
            "extracts": len(extracts),
            "rejected_before_loading": sum(1 for e in extracts if e.problems),
            "problems": MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
            "preview": MetadataValue.md(preview),
        }
    )

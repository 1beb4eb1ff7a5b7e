"""Publish stage: write the run as a new immutable version and move latest.json."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.contract import TABLES
from pipelines.publish import publish
from pipelines.resources import FlightDeckSettings


@asset(
    group_name="publish",
    deps=[
        "kpi_monthly",
        "kpi_spc",
        "kpi_funnel",
        "kpi_export",
        "attrition_curve",
        "extract_verdicts",
        *(f"quarantine_{t.name}" for t in TABLES),
    ],
)
def published_version(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource
) -> MaterializeResult:
    """A new folder versions/<version_id>/ with kpi_monthly (Parquet and CSV, full numbers),
    kpi_spc, kpi_funnel, attrition_curve, kpi_export (Parquet and CSV, disclosure rule applied), the
    flight deck page (flight_deck.html), every quarantined row, and manifest.json; then
    latest.json points at it. Runs only when every blocking check upstream has passed."""
    with warehouse.get_connection() as con:
        published = publish(con, settings.out_path, settings.quarantine_threshold, settings.min_denominator)
    manifest = published["manifest"]
    context.log.info(f"publish: version {published['version_id']} at {published['path']}")
    return MaterializeResult(
        metadata={
            "version_id": published["version_id"],
            "path": MetadataValue.path(str(published["path"])),
            "kpi_rows": manifest["outputs"]["kpi_monthly.parquet"]["rows"],
            "extracts_used": len(manifest["extracts"]),
            "extracts_rejected": len(manifest["rejected_extracts"]),
        }
    )

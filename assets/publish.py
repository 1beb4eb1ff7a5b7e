"""Publish stage: write the run as a new immutable version and move latest.json."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.publish import publish
from pipelines.resources import FlightDeckSettings, RunLock
from pipelines.warehouse import national


@asset(
    group_name="publish",
    deps=["kpi_monthly", "kpi_spc", "kpi_funnel", "kpi_export", "attrition_curve", "extract_verdicts"],
)
def published_version(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource, run_lock: RunLock
) -> MaterializeResult:
    """A new folder versions/<version_id>/ with kpi_monthly (Parquet and CSV, full numbers),
    kpi_spc, kpi_funnel, attrition_curve, kpi_export (Parquet and CSV, disclosure rule applied), the
    flight deck (flight_deck.html, flight_deck/<FORCE>.html and flight_deck.xlsx), every
    quarantined row, and manifest.json; then
    latest.json points at it. Runs only when every blocking check upstream has passed."""
    with national(warehouse) as con:
        published = publish(
            con, settings.out_path, settings.quarantine_threshold, settings.min_denominator,
            contact=settings.contact, chart_cache=settings.chart_cache_path,
        )  # fmt: skip
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

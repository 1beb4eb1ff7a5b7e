"""Stage stage: each force's new extracts loaded from CSV with DuckDB's reader and screened.

The per-force assets are partitioned by force (a dynamic partition per force code found by
discovery), so the UI shows each force's status and one force can be re-run on its own.
"""

from dagster import AssetExecutionContext, BackfillPolicy, DynamicPartitionsDefinition, MaterializeResult, asset

from pipelines.extracts import Extract
from pipelines.forces import read_inventory, stage_new_extracts
from pipelines.nightly import INVENTORY_TAG
from pipelines.resources import FORCES_PARTITIONS, FlightDeckSettings, RunLock

FORCES = DynamicPartitionsDefinition(name=FORCES_PARTITIONS)
# A backfill of many forces runs in runs of up to eight forces each, side by side.
FORCE_BACKFILL = BackfillPolicy.multi_run(max_partitions_per_run=8)


def run_inventory(context, settings: FlightDeckSettings) -> list[Extract]:
    """Every extract of the discovery this run works on (tagged by the nightly run), else the latest."""
    return read_inventory(settings.paths.state, context.run.tags.get(INVENTORY_TAG))[1]


def run_extracts(context, settings: FlightDeckSettings) -> tuple[list[str], list[Extract]]:
    """(forces this run works on, their extracts) from the run's discovery (or the latest one)."""
    extracts = run_inventory(context, settings)
    forces = sorted(set(context.partition_keys) & {e.force_code for e in extracts})
    others = sorted(set(context.partition_keys) - set(forces))
    if others:  # partitions other inboxes registered in the same instance
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        context.log.info(f"stage: no extract in the inbox of this run for {len(others)} force partition(s): {shown}")
    return forces, [e for e in extracts if e.force_code in forces]


@asset(
    group_name="stage",
    partitions_def=FORCES,
    backfill_policy=FORCE_BACKFILL,
)
def extract_rows(context: AssetExecutionContext, settings: FlightDeckSettings, run_lock: RunLock) -> MaterializeResult:
    """Every loadable extract of the force, staged (DuckDB's CSV reader, values kept as text, with
    the physical line of each row) and screened by the contract's rules, stored by content: an
    extract whose files, manifest and staging code are unchanged is reused, not read again. A file
    that breaks the CSV rules (field count, quoting, UTF-8) rejects its extract, naming the line."""
    forces, extracts = run_extracts(context, settings)
    paths = settings.paths
    results, new = stage_new_extracts(extracts, paths.cache, settings.limits, settings.workers, context.log.info)
    rows = sum(t["rows_read"] for r in results.values() for t in r.tables.values())
    context.log.info(
        f"stage: {len(forces)} force(s): {new} extract(s) staged and screened, {len(results) - new} reused"
    )
    return MaterializeResult(
        metadata={"forces": len(forces), "extracts_staged": new, "extracts_reused": len(results) - new, "rows": rows}
    )

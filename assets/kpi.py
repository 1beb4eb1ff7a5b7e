"""KPI stage: each force's KPI partials (per partition), then the national roll-up `kpi_monthly`,
the long table every export is cut from, and the views built on it: SPC signals (`kpi_spc`),
the disclosure-controlled export (`kpi_export`) and the attrition curves (`attrition_curve`)."""

from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from assets.stage import FORCE_BACKFILL, FORCES, run_extracts, run_inventory
from assets.validate import valid_rows
from pipelines.cache import write_json
from pipelines.extract_store import extract_key
from pipelines.forces import read_force_state, state_path
from pipelines.kpi_partials import compute_partials, partials_key
from pipelines.kpis import KPIS
from pipelines.resources import FlightDeckSettings, RunLock
from pipelines.rollup import gather, write_kpi_catalogue, write_kpi_monthly
from pipelines.spc import SPC_PARAMS, read_baselines, write_baselines
from pipelines.warehouse import markdown_preview, national, run_sql_file


@asset(
    group_name="kpi",
    partitions_def=FORCES,
    backfill_policy=FORCE_BACKFILL,
    deps=[valid_rows],
)
def kpi_partials(context: AssetExecutionContext, settings: FlightDeckSettings, run_lock: RunLock) -> MaterializeResult:
    """Every registry KPI computed on the force's used extract: each KPI's items query
    (sql/kpi/<kpi>.sql), its force's published months, the breakdowns, then the partial aggregate of
    its kind (sql/kpi/partial/), which the national roll-up adds up into the force's rows and ALL's.
    Stored by content: a force whose extract is unchanged is not computed again."""
    forces, extracts = run_extracts(context, settings)
    paths = settings.paths
    states, targets, valid, supplied = {}, {}, {}, {}
    for force in forces:
        mine = [e for e in extracts if e.force_code == force]
        state = read_force_state(paths.state, force, mine)
        if not state or not state["used"]:
            continue
        used = next(e for e in mine if e.extract_id == state["used"])
        states[force] = (mine, state)
        targets[force] = paths.cache / "kpi" / partials_key(extract_key(used))
        valid[force] = Path(state["used_result"])
        supplied[force] = list(used.files)
    computed = sum(not folder.exists() for folder in targets.values())
    reused = len(targets) - computed
    compute_partials(valid, supplied, targets, settings.limits)
    for force, (mine, state) in states.items():
        write_json(state_path(paths.state, force, mine), {**state, "partials": str(targets[force])})
    context.log.info(f"kpi: {len(forces)} force(s): partials computed for {computed}, reused for {reused}")
    return MaterializeResult(metadata={"forces_computed": computed, "forces_reused": reused})


@asset(group_name="kpi")
def kpi_catalogue(warehouse: DuckDBResource, run_lock: RunLock) -> MaterializeResult:
    """The KPI registry as a table (id, title, kind, unit, better direction, section,
    definition, position), so exports and SPC labels read the same metadata as the README."""
    with national(warehouse) as con:
        write_kpi_catalogue(con)
    return MaterializeResult(metadata={"kpis": len(KPIS)})


@asset(group_name="kpi", deps=["extract_verdicts", kpi_catalogue])
def kpi_monthly(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource, run_lock: RunLock
) -> MaterializeResult:
    """Every KPI for every force and ALL in one long table (force_code, period, kpi_id, breakdown,
    numerator, denominator, value, ci_low, ci_high) with Wilson 95% intervals on proportions,
    sorted by force_code, kpi_id, breakdown, period: the table chief officers read. ALL pools the
    forces' records (sums of numerators and denominators; medians of the pooled items)."""
    extracts = run_inventory(context, settings)
    inputs = gather(settings.paths.state, extracts)
    with national(warehouse) as con:
        rows = write_kpi_monthly(con, inputs)
        preview = markdown_preview(con, "select * from kpi_monthly where force_code = 'ALL'", 10)
    context.log.info(f"kpi: kpi_monthly: {rows:,} rows for {len(inputs.partials)} force(s) and ALL")
    return MaterializeResult(metadata={"rows": rows, "preview": MetadataValue.md(preview)})


@asset(group_name="kpi", deps=[kpi_monthly])
def kpi_spc(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource, run_lock: RunLock
) -> MaterializeResult:
    """XmR statistical process control (NHS "Making Data Count") on every KPI's monthly series
    (breakdown `all`) per force and ALL, one row per month: centre line, process limits, the
    rules that fired and a signal labelled improvement, concern or neither from the KPI's
    better direction. Provisional months take no part (signal `provisional`). Rules and run
    lengths: sql/kpi_spc.sql and the README. Baselines: every settled month, unless the
    spc_baselines file fixes them."""
    baselines = read_baselines(Path(settings.spc_baselines) if settings.spc_baselines else None)
    with national(warehouse) as con:
        write_baselines(con, baselines)
        run_sql_file(con, "kpi_spc.sql", SPC_PARAMS, create_table="kpi_spc")
        counts = dict(con.execute("select signal, count(*) from kpi_spc group by signal").fetchall())
    context.log.info(f"kpi: kpi_spc: {sum(counts.values()):,} points, signals {counts}")
    return MaterializeResult(
        metadata={"points": sum(counts.values()), "signals": MetadataValue.json(counts), "baselines": len(baselines)}
    )


@asset(group_name="kpi", deps=[kpi_monthly])
def kpi_funnel(context: AssetExecutionContext, warehouse: DuckDBResource, run_lock: RunLock) -> MaterializeResult:
    """Forces compared fairly (funnel plot data): for each proportion KPI, each force's value
    over the 12 months ending with ALL's latest settled month, against the national value with
    95% and 99.8% limits for the force's denominator; provisional months take no part."""
    with national(warehouse) as con:
        run_sql_file(con, "kpi_funnel.sql", create_table="kpi_funnel")
        counts = dict(con.execute("select position, count(*) from kpi_funnel group by position").fetchall())
        preview = markdown_preview(
            con, "select * from kpi_funnel where position not in ('within') order by kpi_id, force_code", 10
        )
    context.log.info(f"kpi: kpi_funnel: {sum(counts.values()):,} rows, positions {counts}")
    return MaterializeResult(
        metadata={"rows": sum(counts.values()), "positions": MetadataValue.json(counts),
                  "beyond_95": MetadataValue.md(preview)}
    )  # fmt: skip


@asset(group_name="kpi", deps=[kpi_monthly])
def kpi_export(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource, run_lock: RunLock
) -> MaterializeResult:
    """The KPI table meant to leave the force, with the disclosure rule applied: a proportion
    whose denominator is under the minimum (default 10) is withheld and marked suppressed."""
    with national(warehouse) as con:
        run_sql_file(con, "kpi_export.sql", {"min_denominator": settings.min_denominator}, create_table="kpi_export")
        rows, suppressed = con.execute(
            "select count(*), count(*) filter (where status = 'suppressed') from kpi_export"
        ).fetchone()
    context.log.info(
        f"kpi: kpi_export: {rows:,} rows, {suppressed:,} suppressed (denominator < {settings.min_denominator})"
    )
    return MaterializeResult(
        metadata={"rows": rows, "suppressed": suppressed, "min_denominator": settings.min_denominator}
    )


@asset(group_name="kpi", deps=[kpi_monthly])
def attrition_curve(context: AssetExecutionContext, warehouse: DuckDBResource, run_lock: RunLock) -> MaterializeResult:
    """When do victims withdraw? Per force and ALL and quarter of report, the Kaplan-Meier
    cumulative share of victims who have withdrawn by each day 0-365 after report, with the
    number still at risk; cases closed without a withdrawal are censored at their outcome
    date, open ones at the extract date."""
    with national(warehouse) as con:
        run_sql_file(con, "attrition_curve.sql", create_table="attrition_curve")
        rows = con.execute("select count(*) from attrition_curve").fetchone()[0]
        preview = markdown_preview(
            con,
            "select report_quarter, cases, at_risk, withdrawn_share from attrition_curve "
            "where force_code = 'ALL' and day = 30 order by report_quarter",
        )
    context.log.info(f"kpi: attrition_curve: {rows:,} rows")
    return MaterializeResult(metadata={"rows": rows, "withdrawn_by_day_30": MetadataValue.md(preview)})

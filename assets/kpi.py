"""KPI stage: one asset per registry KPI, each running its SQL file over the valid tables,
then `kpi_monthly`, the long table every export is cut from, and the views built on it:
SPC signals (`kpi_spc`), force comparisons (`kpi_funnel`), the disclosure-controlled export
(`kpi_export`) and the attrition curves (`attrition_curve`)."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.contract import TABLES
from pipelines.kpis import KPIS, Kpi
from pipelines.resources import FlightDeckSettings
from pipelines.spc import SPC_PARAMS, read_baselines, write_baselines
from pipelines.warehouse import markdown_preview, run_sql_file

VALID_TABLES = [f"valid_{t.name}" for t in TABLES]
# Tables every KPI's range, breakdown and provisional steps read.
ALWAYS_READ = ("force_ranges", "force_supplied_files", "valid_cases")
# Tables a KPI query may read; each KPI asset depends on those its SQL names.
SHARED_TABLES = [*VALID_TABLES, "force_ranges", "force_supplied_files", "open_cases_at_month_end"]


def tables_read_by(kpi: Kpi) -> list[str]:
    """The shared tables named in a KPI's items query, plus those every KPI's steps read."""
    sql = kpi.sql_path.read_text(encoding="utf-8")
    return [t for t in SHARED_TABLES if t in sql or t in ALWAYS_READ]


@asset(group_name="kpi", deps=VALID_TABLES)
def force_ranges(warehouse: DuckDBResource) -> MaterializeResult:
    """Published months of each force: from the month of its earliest valid report to the
    month of its extract date (D_T)."""
    with warehouse.get_connection() as con:
        run_sql_file(con, "kpi/force_ranges.sql", create_table="force_ranges")
        preview = markdown_preview(con, "select * from force_ranges order by force_code")
    return MaterializeResult(metadata={"preview": MetadataValue.md(preview)})


@asset(group_name="kpi", deps=["extract_inventory", "extract_verdicts"])
def force_supplied_files(warehouse: DuckDBResource) -> MaterializeResult:
    """The files each force's used extract supplies (an optional file counts even with a header
    and no rows): KPIs published "only where supplied" take part for these forces alone."""
    with warehouse.get_connection() as con:
        run_sql_file(con, "kpi/force_supplied_files.sql", create_table="force_supplied_files")
        preview = markdown_preview(con, "select * from force_supplied_files", 50)
    return MaterializeResult(metadata={"preview": MetadataValue.md(preview)})


@asset(group_name="kpi", deps=["force_ranges"])
def force_month_ends(warehouse: DuckDBResource) -> MaterializeResult:
    """Each force's published months with their month end E = min(last day of the month, D_T),
    the date the snapshot KPIs are taken at."""
    with warehouse.get_connection() as con:
        run_sql_file(con, "kpi/force_month_ends.sql", create_table="force_month_ends")
        rows = con.execute("select count(*) from force_month_ends").fetchone()[0]
    return MaterializeResult(metadata={"rows": rows})


@asset(group_name="kpi", deps=["force_month_ends", "valid_cases"])
def open_cases_at_month_end(warehouse: DuckDBResource) -> MaterializeResult:
    """Cases open at each month end E (reported on or before E, no outcome on or before E), shared
    by the snapshot KPIs: victims updated within 28 days and the investigators' caseloads."""
    with warehouse.get_connection() as con:
        run_sql_file(con, "kpi/open_cases_at_month_end.sql", create_table="open_cases_at_month_end")
        rows = con.execute("select count(*) from open_cases_at_month_end").fetchone()[0]
    return MaterializeResult(metadata={"rows": rows})


def build_kpi_asset(kpi: Kpi) -> AssetsDefinition:
    """One KPI table (force_code, breakdown, period, numerator, denominator, value, provisional):
    the taking-part forces' ranges, its items query, the range filter, the breakdowns if it has
    them, the aggregate query of its kind, then the provisional flag from its settling period."""

    @asset(name=kpi.kpi_id, group_name="kpi", deps=tables_read_by(kpi))
    def _kpi(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
        with warehouse.get_connection() as con:
            run_sql_file(
                con, "kpi/kpi_ranges.sql", {"required_file": kpi.requires_file}, create_table="kpi_ranges", temp=True
            )
            run_sql_file(con, f"kpi/{kpi.sql_path.name}", dict(kpi.params), create_table="kpi_raw_items", temp=True)
            in_range = "kpi_items_all" if kpi.breakdowns else "kpi_items"
            run_sql_file(con, "kpi/items_in_range.sql", create_table=in_range, temp=True)
            if kpi.breakdown_path:
                run_sql_file(con, f"kpi/breakdowns/{kpi.breakdown_path.name}", create_table="kpi_items", temp=True)
            run_sql_file(con, f"kpi/aggregate/{kpi.aggregate_path.name}", create_table="kpi_rows", temp=True)
            run_sql_file(con, "kpi/provisional.sql", {"settling_days": kpi.settling_days}, create_table=kpi.kpi_id)
            rows = con.execute(f"select count(*) from {kpi.kpi_id}").fetchone()[0]
            preview = markdown_preview(
                con,
                f"select * from {kpi.kpi_id} where force_code = 'ALL' and breakdown = 'all' order by period desc",
                6,
            )
        context.log.info(f"kpi: {kpi.kpi_id}: {rows:,} rows")
        return MaterializeResult(metadata={"rows": rows, "latest_all_forces": MetadataValue.md(preview)})

    _kpi.__doc__ = (
        f"{kpi.title} ({kpi.unit}). {kpi.definition} Items: sql/kpi/{kpi.sql_path.name}; "
        f"rows: sql/kpi/aggregate/{kpi.aggregate_path.name}."
    )
    return _kpi


kpi_assets = [build_kpi_asset(k) for k in KPIS]


def kpi_results_view_sql() -> str:
    """The union of every registry KPI table, tagged with its id and kind."""
    return "create or replace view kpi_results as\n" + "\nunion all\n".join(
        f"select '{k.kpi_id}' as kpi_id, {str(k.is_proportion).lower()} as is_proportion, "
        f"force_code, breakdown, period, numerator, denominator, value, provisional from {k.kpi_id}"
        for k in KPIS
    )


@asset(group_name="kpi", deps=[k.kpi_id for k in KPIS])
def kpi_monthly(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """Every KPI in one long table (force_code, period, kpi_id, breakdown, numerator,
    denominator, value, ci_low, ci_high, provisional) with Wilson 95% intervals on proportions,
    sorted by force_code, kpi_id, breakdown, period: the table chief officers read. A row is
    provisional while its month is still settling (the KPI's settling period in the registry)."""
    with warehouse.get_connection() as con:
        con.execute(kpi_results_view_sql())
        run_sql_file(con, "kpi_monthly.sql", create_table="kpi_monthly")
        rows = con.execute("select count(*) from kpi_monthly").fetchone()[0]
        preview = markdown_preview(con, "select * from kpi_monthly where force_code = 'ALL'", 10)
    context.log.info(f"kpi: kpi_monthly: {rows:,} rows")
    return MaterializeResult(metadata={"rows": rows, "preview": MetadataValue.md(preview)})


@asset(group_name="kpi")
def kpi_catalogue(warehouse: DuckDBResource) -> MaterializeResult:
    """The KPI registry as a table (id, title, kind, unit, better direction, section,
    definition, position, settling period in days, breakdown family, the optional file it
    needs), so exports, SPC and funnel labels read the same metadata as the README."""
    rows = [
        (k.kpi_id, k.title, k.kind, k.unit, k.better, k.section, k.definition, position, k.settling_days,
         k.breakdowns or None, k.requires_file or None)
        for position, k in enumerate(KPIS, start=1)
    ]  # fmt: skip
    with warehouse.get_connection() as con:
        con.execute(
            "create or replace table kpi_catalogue (kpi_id varchar, title varchar, kind varchar, unit varchar, "
            "better varchar, section varchar, definition varchar, position integer, settling_days integer, "
            "breakdowns varchar, requires_file varchar)"
        )
        con.executemany("insert into kpi_catalogue values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return MaterializeResult(metadata={"kpis": len(rows)})


@asset(group_name="kpi", deps=["kpi_monthly", "kpi_catalogue"])
def kpi_spc(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource
) -> MaterializeResult:
    """XmR statistical process control (NHS "Making Data Count") on every KPI's monthly series
    (breakdown `all`) per force and ALL, one row per month: centre line, process limits, the
    rules that fired and a signal labelled improvement, concern or neither from the KPI's
    better direction. Provisional months take no part (signal `provisional`). Rules and run
    lengths: sql/kpi_spc.sql and the README. Baselines: every settled month, unless the
    spc_baselines file fixes them."""
    baselines = read_baselines(Path(settings.spc_baselines) if settings.spc_baselines else None)
    with warehouse.get_connection() as con:
        write_baselines(con, baselines)
        run_sql_file(con, "kpi_spc.sql", SPC_PARAMS, create_table="kpi_spc")
        counts = dict(con.execute("select signal, count(*) from kpi_spc group by signal").fetchall())
    context.log.info(f"kpi: kpi_spc: {sum(counts.values()):,} points, signals {counts}")
    return MaterializeResult(
        metadata={"points": sum(counts.values()), "signals": MetadataValue.json(counts), "baselines": len(baselines)}
    )


@asset(group_name="kpi", deps=["kpi_monthly", "kpi_catalogue"])
def kpi_funnel(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """Forces compared fairly (funnel plot data): for each proportion KPI, each force's value
    over the 12 months ending with ALL's latest settled month, against the national value with
    95% and 99.8% limits for the force's denominator; provisional months take no part."""
    with warehouse.get_connection() as con:
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


@asset(group_name="kpi", deps=["kpi_monthly", "kpi_catalogue"])
def kpi_export(
    context: AssetExecutionContext, settings: FlightDeckSettings, warehouse: DuckDBResource
) -> MaterializeResult:
    """The KPI table meant to leave the force, with the disclosure rule applied: a proportion
    whose denominator is under the minimum (default 10) is withheld and marked suppressed.
    Provisional rows keep their figures and are labelled `provisional`."""
    with warehouse.get_connection() as con:
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


@asset(group_name="kpi", deps=["valid_cases", "force_ranges"])
def attrition_curve(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """When do victims withdraw? Per force and ALL and quarter of report, the Kaplan-Meier
    cumulative share of victims who have withdrawn by each day 0-365 after report, with the
    number still at risk; cases closed without a withdrawal are censored at their outcome
    date, open ones at the extract date."""
    with warehouse.get_connection() as con:
        run_sql_file(con, "attrition_curve.sql", create_table="attrition_curve")
        rows = con.execute("select count(*) from attrition_curve").fetchone()[0]
        preview = markdown_preview(
            con,
            "select report_quarter, cases, at_risk, withdrawn_share from attrition_curve "
            "where force_code = 'ALL' and day = 30 order by report_quarter",
        )
    context.log.info(f"kpi: attrition_curve: {rows:,} rows")
    return MaterializeResult(metadata={"rows": rows, "withdrawn_by_day_30": MetadataValue.md(preview)})

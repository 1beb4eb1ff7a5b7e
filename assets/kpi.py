"""KPI stage: one asset per registry KPI, each running its SQL file over the valid tables,
then `kpi_monthly`, the long table every export is cut from."""

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.kpis import KPIS, Kpi
from pipelines.warehouse import markdown_preview, run_sql_file

VALID_TABLES = ["valid_cases", "valid_devices", "valid_contacts", "valid_workforce"]
# Tables a KPI query may read; each KPI asset depends on those its SQL names.
SHARED_TABLES = [*VALID_TABLES, "force_ranges", "open_cases_at_month_end"]


def tables_read_by(kpi: Kpi) -> list[str]:
    """The shared tables named in a KPI's items query (plus force_ranges and valid_cases, read by
    every KPI's range and breakdown steps)."""
    sql = kpi.sql_path.read_text(encoding="utf-8")
    return [t for t in SHARED_TABLES if t in sql or t in ("force_ranges", "valid_cases")]


@asset(group_name="kpi", deps=VALID_TABLES)
def force_ranges(warehouse: DuckDBResource) -> MaterializeResult:
    """Published months of each force: from the month of its earliest valid report to the
    month of its extract date (D_T)."""
    with warehouse.get_connection() as con:
        run_sql_file(con, "kpi/force_ranges.sql", create_table="force_ranges")
        preview = markdown_preview(con, "select * from force_ranges order by force_code")
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
    """One KPI table (force_code, breakdown, period, numerator, denominator, value): its items
    query, the range filter, the breakdown dimensions if it has them, then the aggregate query of
    its kind."""

    @asset(name=kpi.kpi_id, group_name="kpi", deps=tables_read_by(kpi))
    def _kpi(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
        with warehouse.get_connection() as con:
            run_sql_file(con, f"kpi/{kpi.sql_path.name}", dict(kpi.params), create_table="kpi_raw_items", temp=True)
            in_range = "kpi_items_all" if kpi.breakdowns else "kpi_items"
            run_sql_file(con, "kpi/items_in_range.sql", create_table=in_range, temp=True)
            if kpi.breakdowns:
                run_sql_file(con, "kpi/breakdowns.sql", create_table="kpi_items", temp=True)
            run_sql_file(con, f"kpi/aggregate/{kpi.aggregate_path.name}", create_table=kpi.kpi_id)
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
        f"force_code, breakdown, period, numerator, denominator, value from {k.kpi_id}"
        for k in KPIS
    )


@asset(group_name="kpi", deps=[k.kpi_id for k in KPIS])
def kpi_monthly(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """Every KPI in one long table (force_code, period, kpi_id, breakdown, numerator,
    denominator, value, ci_low, ci_high) with Wilson 95% intervals on proportions, sorted by
    force_code, kpi_id, breakdown, period: the table chief officers read."""
    with warehouse.get_connection() as con:
        con.execute(kpi_results_view_sql())
        run_sql_file(con, "kpi_monthly.sql", create_table="kpi_monthly")
        rows = con.execute("select count(*) from kpi_monthly").fetchone()[0]
        preview = markdown_preview(con, "select * from kpi_monthly where force_code = 'ALL'", 10)
    context.log.info(f"kpi: kpi_monthly: {rows:,} rows")
    return MaterializeResult(metadata={"rows": rows, "preview": MetadataValue.md(preview)})

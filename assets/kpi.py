"""KPI stage: one asset per registry KPI, each running its SQL file over the valid tables,
then `kpi_monthly`, the long table every export is cut from."""

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.kpis import KPIS, Kpi
from pipelines.warehouse import markdown_preview, run_sql_file

VALID_TABLES = ["valid_cases", "valid_devices", "valid_contacts", "valid_workforce"]


@asset(group_name="kpi", deps=VALID_TABLES)
def force_ranges(warehouse: DuckDBResource) -> MaterializeResult:
    """Published months of each force: from the month of its earliest valid report to the
    month of its extract date (D_T)."""
    with warehouse.get_connection() as con:
        run_sql_file(con, "kpi/force_ranges.sql", create_table="force_ranges")
        preview = markdown_preview(con, "select * from force_ranges order by force_code")
    return MaterializeResult(metadata={"preview": MetadataValue.md(preview)})


def build_kpi_asset(kpi: Kpi) -> AssetsDefinition:
    """One KPI table (force_code, period, numerator, denominator, value): its items query, then
    the aggregate query of its kind."""

    @asset(name=kpi.kpi_id, group_name="kpi", deps=[*VALID_TABLES, "force_ranges"])
    def _kpi(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
        with warehouse.get_connection() as con:
            run_sql_file(con, f"kpi/{kpi.sql_path.name}", dict(kpi.params), create_table="kpi_raw_items", temp=True)
            run_sql_file(con, "kpi/items_in_range.sql", create_table="kpi_items", temp=True)
            run_sql_file(con, f"kpi/aggregate/{kpi.aggregate_path.name}", create_table=kpi.kpi_id)
            rows = con.execute(f"select count(*) from {kpi.kpi_id}").fetchone()[0]
            preview = markdown_preview(
                con, f"select * from {kpi.kpi_id} where force_code = 'ALL' order by period desc", 6
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
        f"select '{k.kpi_id}' as kpi_id, 'all' as breakdown, {str(k.is_proportion).lower()} as is_proportion, "
        f"force_code, period, numerator, denominator, value from {k.kpi_id}"
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

"""Stage stage: load every contract CSV of every loadable extract into DuckDB as text."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.contract import TABLES, Table
from pipelines.staging import MalformedCsv, load_csv, stage_table_ddl
from pipelines.warehouse import markdown_preview


def build_stage_asset(table: Table) -> AssetsDefinition:
    """`stage_<table>`: raw text rows with their extract and line number."""

    @asset(name=f"stage_{table.name}", group_name="stage", deps=["extract_inventory"])
    def _stage(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
        with warehouse.get_connection() as con:
            files = con.execute(
                """
                select file.extract_id, file.path, file.columns
                from extract_files as file
                inner join extract_inventory as inventory on inventory.extract_id = file.extract_id
                where file.table_name = ? and len(inventory.problems) = 0
                order by file.extract_id
                """,
                [table.name],
            ).fetchall()
            con.execute(stage_table_ddl(table))
            con.execute("delete from stage_problems where table_name = ?", [table.name])
            total = 0
            for extract_id, path, columns in files:
                try:
                    rows = load_csv(con, extract_id, table, Path(path), columns)
                except MalformedCsv as problem:
                    con.execute("insert into stage_problems values (?, ?, ?)", [extract_id, table.name, str(problem)])
                    context.log.warning(f"rejected: {problem}")
                    continue
                total += rows
                context.log.info(f"stage: {extract_id}/{table.file_name}: {rows:,} rows")
            preview = markdown_preview(con, f"select * from stage_{table.name}", 5)
        return MaterializeResult(metadata={"rows": total, "preview": MetadataValue.md(preview)})

    _stage.__doc__ = (
        f"Rows of {table.file_name} from every extract that passed discovery, kept as text exactly "
        f"as read, with the extract and the line each came from. {table.description}"
    )
    return _stage


stage_assets = [build_stage_asset(t) for t in TABLES]

"""One force's KPI work: its items and the partial aggregates the national roll-up adds up.

Every KPI is computed force by force (pseudonyms are per force, and each force's months and
snapshots depend only on its own extract), from the valid rows of the force's used extract:
the KPI's items query, the range filter, the breakdowns, then the partial query of its kind
(`sql/kpi/partial/<kind>.sql`): counts for proportions and counts, sums for ratios, the items
themselves for medians, events and items per duration for Kaplan-Meier medians. The roll-up
(`pipelines.rollup`) turns the partials of every force into the rows of each force and ALL.

Partials are stored by content under the used extract's key and the KPI code's fingerprint,
so a force whose extract has not changed is not computed again.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pipelines.cache import code_fingerprint, key_of
from pipelines.contract import TABLES
from pipelines.duck import DuckDBLimits, connect
from pipelines.faults import checkpoint
from pipelines.kpis import KPIS
from pipelines.rules import sql_literal
from pipelines.warehouse import run_sql_file

# Partial tables: what each kind leaves for the roll-up.
PARTIAL_FILES = {
    "sums": "kpi_sum_partials.parquet",  # proportion, ratio, count
    "median": "kpi_median_partials.parquet",
    "km_median": "kpi_km_partials.parquet",
}
FORCE_FILES = ["force_ranges.parquet", "attrition_partials.parquet", *PARTIAL_FILES.values()]
PARTIAL_DDL = {
    "sums": "kpi_id varchar, kind varchar, force_code varchar, breakdown varchar, period date, numerator double, "
    "denominator double",
    "median": "kpi_id varchar, force_code varchar, breakdown varchar, period date, measure double",
    "km_median": "kpi_id varchar, force_code varchar, breakdown varchar, period date, duration double, "
    "events bigint, items bigint",
}
KIND_TABLE = {"proportion": "sums", "ratio": "sums", "count": "sums", "median": "median", "km_median": "km_median"}


def partials_key(extract_key: str) -> str:
    """The content key of one extract's KPI partials."""
    return key_of("kpi", code_fingerprint("kpi"), extract_key)


def _valid_views(con, valid_paths: dict[str, Path]) -> None:
    for table in TABLES:
        con.execute(
            f"create view valid_{table.name} as select * from read_parquet({sql_literal(str(valid_paths[table.name]))})"
        )


def _kpi_partials(con) -> None:
    for name, columns in PARTIAL_DDL.items():
        con.execute(f"create table partial_{name} ({columns})")
    for kpi in KPIS:
        run_sql_file(con, f"kpi/{kpi.sql_path.name}", dict(kpi.params), create_table="kpi_raw_items", temp=True)
        in_range = "kpi_items_all" if kpi.breakdowns else "kpi_items"
        run_sql_file(con, "kpi/items_in_range.sql", create_table=in_range, temp=True)
        if kpi.breakdowns:
            run_sql_file(con, "kpi/breakdowns.sql", create_table="kpi_items", temp=True)
        run_sql_file(con, f"kpi/partial/{kpi.kind}.sql", create_table="kpi_partial", temp=True)
        target = KIND_TABLE[kpi.kind]
        extra = "$kind, " if target == "sums" else ""
        con.execute(
            f"insert into partial_{target} select $kpi_id, {extra}* from kpi_partial",
            {"kpi_id": kpi.kpi_id, **({"kind": kpi.kind} if extra else {})},
        )


def compute_partials(valid_paths: dict[str, Path], folder: Path, limits: DuckDBLimits | None = None) -> Path:
    """Compute one force's partials from its valid rows and store them in `folder` (written under a
    temporary name, then renamed)."""
    if (folder / FORCE_FILES[-1]).exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        con = connect(limits=limits)
        try:
            _valid_views(con, valid_paths)
            run_sql_file(con, "kpi/force_ranges.sql", create_table="force_ranges")
            run_sql_file(con, "kpi/force_month_ends.sql", create_table="force_month_ends")
            run_sql_file(con, "kpi/open_cases_at_month_end.sql", create_table="open_cases_at_month_end")
            run_sql_file(con, "kpi/attrition_partials.sql", create_table="attrition_partials")
            _kpi_partials(con)
            outputs = {
                "force_ranges.parquet": "force_ranges",
                "attrition_partials.parquet": "attrition_partials",
                **{file: f"partial_{name}" for name, file in PARTIAL_FILES.items()},
            }
            for file, table in outputs.items():
                con.execute(f"copy {table} to {sql_literal(str(work / file))} (format parquet)")
        finally:
            con.close()
        checkpoint("kpi")
        try:
            work.rename(folder)
        except OSError:
            if not (folder / FORCE_FILES[-1]).exists():
                raise
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder

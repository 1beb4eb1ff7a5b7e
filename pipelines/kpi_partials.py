"""Each force's KPI work: its items and the partial aggregates the national roll-up adds up.

Every KPI is computed force by force (pseudonyms are per force, and each force's months and
snapshots depend only on its own extract), from the valid rows of the force's used extract:
the KPI's items query, the range filter, the breakdowns, then the partial query of its kind
(`sql/kpi/partial/<kind>.sql`): counts for proportions and counts, sums for ratios, the items
themselves for medians, events and items per duration for Kaplan-Meier medians. The roll-up
(`pipelines.rollup`) turns the partials of every force into the rows of each force and ALL.

The forces a run has to compute are computed together, in one DuckDB session (each query
carries force_code, so a batch costs one pass per KPI however many forces it holds), and
each force's partials are stored by content under its used extract's key and the KPI code's
fingerprint, so a force whose extract has not changed is not computed again.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pipelines.cache import code_fingerprint, key_of
from pipelines.contract import TABLES
from pipelines.duck import DuckDBLimits, connect
from pipelines.faults import checkpoint
from pipelines.kpis import CASE_BREAKDOWNS, KPIS
from pipelines.rules import sql_literal
from pipelines.warehouse import read_sql, run_sql_file

# What each kind leaves for the roll-up, one table (and Parquet file) per shape.
PARTIAL_DDL = {
    "kpi_sum_partials": "kpi_id varchar, kind varchar, force_code varchar, breakdown varchar, period date, "
    "numerator double, denominator double",  # proportion, ratio, count
    "kpi_median_partials": "kpi_id varchar, force_code varchar, breakdown varchar, period date, measure double",
    "kpi_km_partials": "kpi_id varchar, force_code varchar, breakdown varchar, period date, duration double, "
    "events bigint, items bigint",
}
KIND_TABLE = {
    "proportion": "kpi_sum_partials", "ratio": "kpi_sum_partials", "count": "kpi_sum_partials",
    "median": "kpi_median_partials", "km_median": "kpi_km_partials",
}  # fmt: skip
FORCE_TABLES = ["force_ranges", "force_supplied_files", "attrition_partials", *PARTIAL_DDL]
DONE_FILE = f"{FORCE_TABLES[-1]}.parquet"  # written last: a folder holding it is complete


def partials_key(extract_key: str) -> str:
    """The content key of one extract's KPI partials."""
    return key_of("kpi", code_fingerprint("kpi"), extract_key)


def _parquet(paths: list[Path]) -> str:
    return "read_parquet([" + ", ".join(sql_literal(str(p)) for p in paths) + "])"


def kpi_partial_query(kpi) -> str:
    """One KPI's steps as one query: the forces taking part (kpi_ranges), its items query
    (kpi_raw_items), the range filter (kpi_items_all with breakdowns, else kpi_items), the
    breakdown step if any (kpi_items), then its kind's partial query. Each step's file is a CTE
    named as the table the next step reads, so DuckDB runs them as one pipeline instead of
    storing every step's rows (for 43 forces 15 s against 25 s, the same partials)."""
    in_range = "kpi_items_all" if kpi.breakdowns else "kpi_items"
    steps = [("kpi_ranges", "kpi/kpi_ranges.sql"), ("kpi_raw_items", f"kpi/{kpi.sql_path.name}"),
             (in_range, "kpi/items_in_range.sql")]  # fmt: skip
    partial = f"kpi/partial/{kpi.kind}.sql"
    if kpi.breakdowns == CASE_BREAKDOWNS:  # proportions: counted per combination of case values
        partial = "kpi/partial/proportion_by_case.sql"
    elif kpi.breakdown_path:
        steps.append(("kpi_items", f"kpi/breakdowns/{kpi.breakdown_path.name}"))
    ctes = ",\n".join(f"{name} as (\n{read_sql(path)}\n)" for name, path in steps)
    return f"with {ctes}\nselect * from (\n{read_sql(partial)}\n)"


def _kpi_partials(con) -> None:
    for name, columns in PARTIAL_DDL.items():
        con.execute(f"create table {name} ({columns})")
    con.execute(read_sql("macros.sql"))
    for kpi in KPIS:
        target = KIND_TABLE[kpi.kind]
        kind = "$kind, " if target == "kpi_sum_partials" else ""
        query = f"insert into {target} select $kpi_id, {kind}* from (\n{kpi_partial_query(kpi)}\n)"
        params = {"kpi_id": kpi.kpi_id, "kind": kpi.kind, "required_file": kpi.requires_file, **dict(kpi.params)}
        con.execute(query, {name: value for name, value in params.items() if f"${name}" in query})


def compute_partials(
    valid_folders: dict[str, Path],
    supplied: dict[str, list[str]],
    targets: dict[str, Path],
    limits: DuckDBLimits | None = None,
):
    """Compute the partials of several forces at once, from each force's used extract (its store
    folder holding valid/<table>.parquet, and the contract files it supplies), and store each
    force's in its target folder (written under a temporary name, then renamed)."""
    pending = {force: folder for force, folder in targets.items() if not (folder / DONE_FILE).exists()}
    if not pending:
        return
    con = connect(limits=limits)
    works = {}
    try:
        # Every KPI reads the valid tables, so they are read from Parquet once, into memory.
        for table in TABLES:
            files = [valid_folders[force] / "valid" / f"{table.name}.parquet" for force in sorted(pending)]
            con.execute(f"create temp table valid_{table.name} as select * from {_parquet(files)}")
        con.execute("create table force_supplied_files (force_code varchar, table_name varchar)")
        con.executemany(
            "insert into force_supplied_files values (?, ?)",
            [(force, table) for force in sorted(pending) for table in sorted(supplied[force])],
        )
        run_sql_file(con, "kpi/force_ranges.sql", create_table="force_ranges")
        run_sql_file(con, "kpi/force_month_ends.sql", create_table="force_month_ends")
        run_sql_file(con, "kpi/open_cases_at_month_end.sql", create_table="open_cases_at_month_end")
        run_sql_file(con, "kpi/attrition_partials.sql", create_table="attrition_partials")
        run_sql_file(con, "kpi/case_breakdowns.sql", create_table="case_breakdowns", temp=True)
        run_sql_file(con, "kpi/breakdown_combinations.sql", create_table="breakdown_combinations", temp=True)
        _kpi_partials(con)
        for force, folder in pending.items():
            folder.parent.mkdir(parents=True, exist_ok=True)
            works[force] = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
            for table in FORCE_TABLES:
                target = sql_literal(str(works[force] / f"{table}.parquet"))
                query = f"select * from {table} where force_code = {sql_literal(force)}"
                con.execute(f"copy ({query}) to {target} (format parquet)")
        checkpoint("kpi")
        for force, folder in pending.items():
            try:
                works.pop(force).rename(folder)
            except OSError:
                if not (folder / DONE_FILE).exists():
                    raise
    finally:
        con.close()
        for work in works.values():
            shutil.rmtree(work, ignore_errors=True)

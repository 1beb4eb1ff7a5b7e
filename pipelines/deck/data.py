"""The deck's reading of the warehouse: every query lives in `sql/deck/` and reads the views
through `deck_<view>` names, so the deck sees catalogue v1.1's columns (kpi_export.provisional,
kpi_spc.provisional, kpi_funnel) even on a warehouse built before they existed: a missing column
reads as null (not provisional) and a missing kpi_funnel as a view with no rows."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pipelines.warehouse import run_sql_file

# The columns the deck reads from each view, as catalogue v1.1's Views section defines them.
SPEC_COLUMNS: dict[str, dict[str, str]] = {
    "kpi_export": {
        "force_code": "varchar", "period": "date", "section": "varchar", "kpi_id": "varchar", "title": "varchar",
        "unit": "varchar", "breakdown": "varchar", "numerator": "double", "denominator": "double",
        "value": "double", "ci_low": "double", "ci_high": "double", "status": "varchar", "provisional": "boolean",
    },
    "kpi_spc": {
        "force_code": "varchar", "kpi_id": "varchar", "period": "date", "value": "double", "provisional": "boolean",
        "centre": "double", "upper_limit": "double", "lower_limit": "double", "rules": "varchar",
        "signal": "varchar",
    },
    "kpi_funnel": {
        "kpi_id": "varchar", "force_code": "varchar", "window_from": "date", "window_to": "date",
        "numerator": "double", "denominator": "double", "value": "double", "national_value": "double",
        "lower_95": "double", "upper_95": "double", "lower_99_8": "double", "upper_99_8": "double",
        "position": "varchar", "signal": "varchar",
    },
}  # fmt: skip


def spec_views(con) -> None:
    """Temporary views `deck_<view>` with exactly the spec's columns, whatever the warehouse has."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_name in ?",
        [list(SPEC_COLUMNS)],
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for table, columns in SPEC_COLUMNS.items():
        have = existing.get(table, set())
        select = ", ".join(
            f"cast({name if name in have else 'null'} as {kind}) as {name}" for name, kind in columns.items()
        )
        source = f"from {table}" if have else "where false"
        con.execute(f"create or replace temp view deck_{table} as select {select} {source}")


Columns = dict[str, list]
"""A query's result as one Python list per column (None for null), in the query's order: the
pages walk hundreds of thousands of points, which plain lists do many times faster than pandas."""


@dataclass
class DeckData:
    """Everything the pages show, already under the disclosure rule."""

    measures: list[dict]  # kpi_catalogue, in catalogue order
    series: Columns  # sql/deck/series.sql
    latest: Columns  # sql/deck/latest.sql
    funnel: Columns  # sql/deck/funnel.sql
    funnel_limits: Columns  # sql/deck/funnel_limits.sql
    attrition: Columns  # sql/deck/attrition.sql
    extracts: list[dict]  # sql/deck/extracts.sql

    @property
    def forces(self) -> list[str]:
        """Force codes with any row, ALL first."""
        return sorted(set(self.series["force_code"]), key=lambda c: (c != "ALL", c))


def records(columns: Columns) -> list[dict]:
    """Rows as dicts, for the small tables."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _columns(con, relative: str, params: dict | None = None) -> Columns:
    table = "deck_" + relative.removeprefix("deck/").removesuffix(".sql")
    run_sql_file(con, relative, params, create_table=table, temp=True)
    return con.execute(f"select * from {table}").to_arrow_table().to_pydict()


def load_deck_data(con, min_denominator: int) -> DeckData:
    """Run the deck's queries (sql/deck/*.sql) on the warehouse connection."""
    spec_views(con)
    params = {"min_denominator": min_denominator}
    catalogue = con.execute("select * from kpi_catalogue order by position").to_arrow_table().to_pydict()
    return DeckData(
        measures=records(catalogue),
        series=_columns(con, "deck/series.sql"),
        latest=_columns(con, "deck/latest.sql"),
        funnel=_columns(con, "deck/funnel.sql", params),
        funnel_limits=_columns(con, "deck/funnel_limits.sql"),
        attrition=_columns(con, "deck/attrition.sql", params),
        extracts=records(_columns(con, "deck/extracts.sql")),
    )


def workbook_rows(con) -> pa.Table:
    """Every kpi_export row in table order, as the workbook's cells (sql/deck/workbook.sql)."""
    spec_views(con)
    return run_sql_file(con, "deck/workbook.sql").to_arrow_table()

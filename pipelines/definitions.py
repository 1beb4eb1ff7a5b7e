"""Assembly of the Dagster Definitions; no asset or resource logic belongs here.

`defs = build_defs()` is what `dagster dev` and the scheduler load; tests and the CLI call
`build_defs(...)` with their own settings and warehouse instead of patching.
"""

from __future__ import annotations

from dagster import Definitions
from dagster_duckdb import DuckDBResource

from assets.adapt import adapted_extracts
from assets.discover import extract_inventory
from assets.kpi import (
    attrition_curve,
    force_month_ends,
    force_ranges,
    force_supplied_files,
    kpi_assets,
    kpi_catalogue,
    kpi_export,
    kpi_funnel,
    kpi_monthly,
    kpi_spc,
    open_cases_at_month_end,
)
from assets.publish import published_version
from assets.stage import stage_assets
from assets.validate import (
    cases_not_shrunk,
    extract_verdicts,
    gate_checks,
    quarantine_assets,
    screened_assets,
    some_extract_accepted,
    valid_assets,
)
from pipelines.jobs import nightly_job
from pipelines.resources import FlightDeckSettings, settings_from_env, warehouse_from_env
from pipelines.schedules import nightly_schedule
from pipelines.sensors import new_extract_sensor

ALL_ASSETS = [
    adapted_extracts,
    extract_inventory,
    *stage_assets,
    *screened_assets,
    extract_verdicts,
    *quarantine_assets,
    *valid_assets,
    force_ranges,
    force_supplied_files,
    force_month_ends,
    open_cases_at_month_end,
    *kpi_assets,
    kpi_monthly,
    kpi_catalogue,
    kpi_spc,
    kpi_funnel,
    kpi_export,
    attrition_curve,
    published_version,
]
ALL_CHECKS = [some_extract_accepted, *gate_checks, cases_not_shrunk]


def build_defs(
    settings: FlightDeckSettings | None = None,
    warehouse: DuckDBResource | None = None,
    loggers: dict | None = None,
) -> Definitions:
    """The Flight Deck definitions, with settings and warehouse from the environment by default."""
    return Definitions(
        loggers=loggers,
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        sensors=[new_extract_sensor],
        resources={
            "settings": settings or settings_from_env(),
            "warehouse": warehouse or warehouse_from_env(),
        },
    )


defs = build_defs()

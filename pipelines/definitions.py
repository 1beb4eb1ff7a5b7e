"""Assembly of the Dagster Definitions; no asset or resource logic belongs here.

`defs = build_defs()` is what `dagster dev` and the scheduler load; tests and the CLI call
`build_defs(...)` with their own settings instead of patching.
"""

from __future__ import annotations

from dagster import Definitions

from assets.discover import adapted_extracts, extract_inventory
from assets.kpi import (
    attrition_curve,
    kpi_catalogue,
    kpi_export,
    kpi_funnel,
    kpi_monthly,
    kpi_partials,
    kpi_spc,
)
from assets.publish import published_version
from assets.stage import extract_rows
from assets.validate import cases_not_shrunk, contract_suites, extract_verdicts, some_extract_accepted, valid_rows
from pipelines.jobs import ALL_JOBS
from pipelines.resources import FlightDeckSettings, RunLock, settings_from_env, warehouse_of
from pipelines.schedules import nightly_schedule
from pipelines.sensors import new_extract_sensor, nightly_after_discovery

ALL_ASSETS = [
    adapted_extracts,
    extract_inventory,
    extract_rows,
    valid_rows,
    kpi_partials,
    extract_verdicts,
    kpi_catalogue,
    kpi_monthly,
    kpi_spc,
    kpi_funnel,
    kpi_export,
    attrition_curve,
    published_version,
]
ALL_CHECKS = [contract_suites, some_extract_accepted, cases_not_shrunk]


def build_defs(
    settings: FlightDeckSettings | None = None, loggers: dict | None = None, wait: bool = False
) -> Definitions:
    """The Flight Deck definitions, with settings from the environment by default."""
    settings = settings or settings_from_env()
    return Definitions(
        loggers=loggers,
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=ALL_JOBS,
        schedules=[nightly_schedule],
        sensors=[new_extract_sensor, nightly_after_discovery],
        resources={
            "settings": settings,
            "warehouse": warehouse_of(settings),
            "run_lock": RunLock(settings=settings, wait=wait),
        },
    )


# The UI, the schedule and the sensors: a run that finds the warehouse busy waits for it.
defs = build_defs(wait=True)

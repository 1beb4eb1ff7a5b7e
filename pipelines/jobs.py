"""The nightly job: every asset, in one process (DuckDB allows one writer per file)."""

from dagster import AssetSelection, define_asset_job, in_process_executor

nightly_job = define_asset_job(
    name="nightly",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Discover, stage, validate (blocking Great Expectations gate), compute KPIs, publish.",
)

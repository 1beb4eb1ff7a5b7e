"""The jobs: discovery, the nightly work on every force and the roll-up, and the parts on their own.

Each runs in one process (the in-process executor): per-force work runs side by side as
separate runs of `force_partitions` (a backfill, or `flightdeck run --workers N`), each in its
own process, never as steps of one run that would share the warehouse.
"""

from dagster import AssetSelection, define_asset_job, in_process_executor

DISCOVER_JOB, NIGHTLY_JOB, FORCES_JOB, NATIONAL_JOB = "discover", "nightly", "force_partitions", "national"
DISCOVERY = AssetSelection.groups("discover")
PER_FORCE = AssetSelection.assets("extract_rows", "valid_rows", "kpi_partials")
NATIONAL = AssetSelection.all() - DISCOVERY - PER_FORCE

discover_job = define_asset_job(
    name=DISCOVER_JOB,
    selection=DISCOVERY,
    executor_def=in_process_executor,
    description="Adapt raw exports and find every extract; each force found becomes a partition.",
)
nightly_job = define_asset_job(
    name=NIGHTLY_JOB,
    selection=AssetSelection.all() - DISCOVERY,
    executor_def=in_process_executor,
    description="For the forces of its partition range: stage, validate (blocking Great Expectations gate) and "
    "compute KPI partials; then the national roll-up, the views and the publication.",
)
force_partitions_job = define_asset_job(
    name=FORCES_JOB,
    selection=PER_FORCE,
    executor_def=in_process_executor,
    description="The per-force work alone, for re-running or backfilling forces side by side.",
)
national_job = define_asset_job(
    name=NATIONAL_JOB,
    selection=NATIONAL,
    executor_def=in_process_executor,
    description="The national roll-up, the views and the publication, from every force's latest state.",
)
ALL_JOBS = [discover_job, nightly_job, force_partitions_job, national_job]

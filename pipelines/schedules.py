"""When the nightly job runs unattended."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from pipelines.jobs import nightly_job

nightly_schedule = ScheduleDefinition(
    name="nightly_0200_london",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Runs the nightly job at 02:00 UK time (GMT or BST).",
)

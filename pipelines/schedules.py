"""When the nightly work starts unattended: discovery at 02:00 UK time; the sensor in
pipelines/sensors.py then runs the nightly job on what it found."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from pipelines.jobs import discover_job

nightly_schedule = ScheduleDefinition(
    name="nightly_0200_london",
    job=discover_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Runs discovery at 02:00 UK time (GMT or BST); the nightly run follows on its success.",
)

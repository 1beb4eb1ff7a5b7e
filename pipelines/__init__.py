"""Flight Deck pipeline: Dagster definitions, jobs, schedules, sensors, resources, CLI and helpers."""

"""Running Dangol unattended: a run's outcome and its alerts, the home's status at a glance,
housekeeping, checks before a run and progress while it runs. No Dagster imports."""

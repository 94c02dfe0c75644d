"""The pipeline job, a daily schedule (in the brand's timezone) and a sensor for new files.

Under `dangol serve` (the production daemon) both start running; elsewhere (`dagster dev`)
they start stopped. Either way a data engineer stops or starts each in the Dagster UI.
"""

import os

import dagster as dg

from operations.run_inputs import check_nothing_new, landing_fingerprint
from orchestration.config import AutomationConfig, ConfigError
from orchestration.defs.resources import DangolResource
from orchestration.run_outcome import PIPELINE_JOB

# Set by `dangol serve` for the webserver and the daemon it starts.
SERVE_ENV = "DANGOL_SERVE"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("demo"),
    description="Ingest new exports, build and audit the marts, publish, export segment lists.",
)


def _served() -> bool:
    return os.environ.get(SERVE_ENV) == "1"


def daily_schedule(timezone: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="dangol_daily",
        job=pipeline_job,
        cron_schedule="0 6 * * *",
        execution_timezone=timezone,
        default_status=(
            dg.DefaultScheduleStatus.RUNNING if _served() else dg.DefaultScheduleStatus.STOPPED
        ),
        description="Runs the pipeline daily at 06:00, unless nothing is new since the last run"
        " that succeeded.",
    )
    def dangol_daily(context: dg.ScheduleEvaluationContext, dangol: DangolResource):
        return _unless_nothing_new(dangol, dg.RunRequest())

    return dangol_daily


def _unless_nothing_new(dangol: DangolResource, request: dg.RunRequest):
    """The run `request`, or why not: the same inputs as the last run that succeeded. A run
    launched by hand in the UI does not come here, so it runs whatever the inputs."""
    try:
        check = check_nothing_new(dangol.paths, dangol.config)
    except ConfigError:
        return request  # the run fails on it with one clear message, and alerts
    return dg.SkipReason(check.describe()) if check.nothing_new else request


def landing_sensor(automation: AutomationConfig) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_landing_files",
        job=pipeline_job,
        minimum_interval_seconds=automation.landing_sensor_interval_seconds,
        default_status=(
            dg.DefaultSensorStatus.RUNNING if _served() else dg.DefaultSensorStatus.STOPPED
        ),
        description="Starts a pipeline run when files land in (or change in) the landing folder.",
    )
    def new_landing_files(context: dg.SensorEvaluationContext, dangol: DangolResource):
        fingerprint = landing_fingerprint(dangol.paths.landing)
        if fingerprint is None:
            return dg.SkipReason(f"no export files in {dangol.paths.landing}")
        if fingerprint == context.cursor:
            return dg.SkipReason("no new files in the landing folder")
        context.update_cursor(fingerprint)
        # The ledger dedups contents, so a run for a renamed or touched file loads nothing twice;
        # files put back as they were at the last good run are nothing new, as for the schedule.
        return _unless_nothing_new(dangol, dg.RunRequest(run_key=fingerprint))

    return new_landing_files


def definitions(timezone: str, automation: AutomationConfig) -> dg.Definitions:
    """`timezone`: dangol.yaml's, so the daily run starts at 06:00 where the brand is."""
    return dg.Definitions(
        jobs=[pipeline_job],
        schedules=[daily_schedule(timezone)],
        sensors=[landing_sensor(automation)],
    )

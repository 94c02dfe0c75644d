"""The pipeline job, a daily schedule (in the brand's timezone) and a sensor for new files.

Under `dangol serve` (the production daemon) both start running; elsewhere (`dagster dev`)
they start stopped. Either way a data engineer stops or starts each in the Dagster UI.
"""

import hashlib
import os

import dagster as dg

from ingest.landing import landing_files
from orchestration.config import AutomationConfig
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
    return dg.ScheduleDefinition(
        name="dangol_daily",
        job=pipeline_job,
        cron_schedule="0 6 * * *",
        execution_timezone=timezone,
        default_status=(
            dg.DefaultScheduleStatus.RUNNING if _served() else dg.DefaultScheduleStatus.STOPPED
        ),
    )


def landing_fingerprint(dangol: DangolResource) -> str | None:
    """Changes whenever a file lands, is replaced or removed; cheap: names, sizes, mtimes.
    None when the landing folder holds no export at all."""
    files = landing_files(dangol.paths.landing)
    if not files:
        return None
    digest = hashlib.sha256()
    for family, path in files:
        stat = path.stat()
        digest.update(f"{family}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


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
        fingerprint = landing_fingerprint(dangol)
        if fingerprint is None:
            return dg.SkipReason(f"no export files in {dangol.paths.landing}")
        if fingerprint == context.cursor:
            return dg.SkipReason("no new files in the landing folder")
        context.update_cursor(fingerprint)
        # The ledger dedups contents, so a run for a renamed or touched file loads nothing twice.
        return dg.RunRequest(run_key=fingerprint)

    return new_landing_files


def definitions(timezone: str, automation: AutomationConfig) -> dg.Definitions:
    """`timezone`: dangol.yaml's, so the daily run starts at 06:00 where the brand is."""
    return dg.Definitions(
        jobs=[pipeline_job],
        schedules=[daily_schedule(timezone)],
        sensors=[landing_sensor(automation)],
    )

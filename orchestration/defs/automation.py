"""The pipeline job, a daily schedule (in the brand's timezone) and a sensor for new files.

Both start stopped: a data engineer turns on whichever fits in the Dagster UI.
"""

import hashlib

import dagster as dg

from ingest.landing import landing_files
from orchestration.defs.resources import DangolResource

pipeline_job = dg.define_asset_job(
    "dangol_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("demo"),
    description="Ingest new exports, build and audit the marts, publish, export segment lists.",
)


def daily_schedule(timezone: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="dangol_daily",
        job=pipeline_job,
        cron_schedule="0 6 * * *",
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )


def landing_fingerprint(dangol: DangolResource) -> str:
    """Changes whenever a file lands, is replaced or removed; cheap: names, sizes, mtimes."""
    digest = hashlib.sha256()
    for family, path in landing_files(dangol.paths.landing):
        stat = path.stat()
        digest.update(f"{family}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    job=pipeline_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts a pipeline run when files land in (or change in) the landing folder.",
)
def new_landing_files(context: dg.SensorEvaluationContext, dangol: DangolResource):
    fingerprint = landing_fingerprint(dangol)
    if fingerprint == context.cursor:
        return dg.SkipReason("no new files in the landing folder")
    context.update_cursor(fingerprint)
    # The ledger dedups contents, so a run for a renamed or touched file loads nothing twice.
    return dg.RunRequest(run_key=fingerprint)


def definitions(timezone: str) -> dg.Definitions:
    """`timezone`: dangol.yaml's, so the daily run starts at 06:00 where the brand is."""
    return dg.Definitions(
        jobs=[pipeline_job], schedules=[daily_schedule(timezone)], sensors=[new_landing_files]
    )

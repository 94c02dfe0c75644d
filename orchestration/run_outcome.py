"""A run's Dagster events become its typed outcome; at the end of every pipeline run (CLI,
schedule, sensor or UI alike) the outcome is recorded, alerted on and the home tidied."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

import dagster as dg

from data_quality.verdicts import Verdict
from operations.alerts import run_alert, send_alert
from operations.housekeeping import remove_old_run_files
from operations.outcomes import RunOutcome, RunVerdict, disk_full_problem
from operations.run_inputs import record_good_run
from operations.status import StateInUse, source_freshness
from orchestration.config import ConfigError, DangolConfig, DangolHome

PIPELINE_JOB = "dangol_pipeline"
# The events a run's outcome is read from (not the thousands of log lines a dbt build makes).
OUTCOME_EVENTS = {
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
}


def _failure_message(event: dg.DagsterEvent) -> str:
    error = event.step_failure_data.error
    failure = event.step_failure_data.user_failure_data
    # Dagster wraps the cause ("Error occurred while executing op"); say the cause.
    while error is not None and error.cause is not None:
        error = error.cause
    if failure and failure.description:
        return failure.description
    return error.message.strip() if error else "unknown error"


def outcome_of_run(
    run_id: str, events: Iterable[dg.DagsterEvent], config: DangolConfig, home: DangolHome
) -> RunOutcome:
    outcome = RunOutcome(published=False, run_id=run_id)
    for event in events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            message = _failure_message(event)
            message = disk_full_problem(message, home.root) or message
            outcome.problems.append(f"step {event.step_key} failed: {message}")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            key = evaluation.asset_key.to_user_string()
            detail = evaluation.description or ""
            # The quality gate's typed results (dbt tests' checks carry none of them).
            metadata = {k: v.value for k, v in evaluation.metadata.items()}
            if metadata.get("data_docs") and not outcome.problems:
                # The first failing check's report, else the last one written.
                outcome.quality_report = metadata["data_docs"]
            if not evaluation.passed:
                outcome.problems.append(f"check {key}:{evaluation.check_name} failed: {detail}")
                outcome.blocked = True
                outcome.anomaly_blocked |= bool(metadata.get("anomaly_blocked"))
            elif metadata.get("verdict") == Verdict.WARNED:
                outcome.warnings.append(f"check {key}:{evaluation.check_name} warns: {detail}")
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            metadata = {k: v.value for k, v in materialization.metadata.items()}
            if materialization.asset_key == dg.AssetKey(["warehouse", "published"]):
                outcome.published = True
                outcome.release_id = metadata.get("release_id")
                outcome.unchanged = bool(metadata.get("unchanged"))
            elif materialization.asset_key == dg.AssetKey(["exports", "segment_lists"]):
                segment_names = {rule.name for rule in config.segment_rules()[0]}
                outcome.exports = {k: v for k, v in metadata.items() if k in segment_names}
                outcome.export_folder = metadata.get("folder")
                outcome.export_manifest = metadata.get("manifest")
            elif materialization.asset_key == dg.AssetKey(["reports", "marketing_report"]):
                outcome.marketing_report = metadata.get("report")
    outcome.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return outcome


def finish_run(
    context: dg.InitResourceContext,
    config: DangolConfig,
    home: DangolHome,
    inputs: dict[str, str] | None = None,
) -> None:
    """After the last step of a pipeline run: its record for `dangol status`, one alert if a
    person is needed, old run files removed; a run that succeeded also records its `inputs`
    (read when it started), so a next run with the same ones finds nothing new. Nothing here
    may fail the run."""
    log = context.log or logging.getLogger("dangol")
    run = context.run
    if run is None or run.job_name != PIPELINE_JOB or run.asset_selection:
        return  # assets materialised by hand (a subset) are not a pipeline run
    entries = context.instance.all_logs(run.run_id, of_type=OUTCOME_EVENTS)
    events = [entry.dagster_event for entry in entries if entry.dagster_event is not None]
    outcome = outcome_of_run(run.run_id, events, config, home)
    try:
        freshness = source_freshness(home.state_db, config.freshness.max_days_without_new_file)
    except StateInUse:  # a dbt this run left behind still has the build open
        freshness = []
    alert = run_alert(outcome, [source for source in freshness if source.stale], str(home.root))
    if alert and config.alerts.destinations:
        try:
            urls = config.alerts.urls()
        except ConfigError as error:
            log.error(f"Alert not sent: {error}")
            outcome.undelivered_alerts.append(str(error))
            urls = []
        for delivery in send_alert(alert, urls):
            if delivery.delivered:
                log.info(f"Alert sent to {delivery.destination}")
            else:
                log.error(f"Alert could not be sent to {delivery.destination}")
                outcome.undelivered_alerts.append(delivery.destination)
    outcome.save(home.last_run_file)
    if inputs and outcome.verdict in (RunVerdict.PUBLISHED, RunVerdict.WARNED):
        record_good_run(home, inputs, outcome.run_id, outcome.release_id, outcome.finished_at)
    removed = remove_old_run_files(home, config.housekeeping.keep_days, run.run_id)
    if removed:
        log.info(f"Housekeeping removed {len(removed)} old build, dbt, log and report files")

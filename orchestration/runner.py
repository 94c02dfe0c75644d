"""Runs the pipeline job once, in-process, for the CLI; turns the run's events into a verdict."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from data_quality.gate import Verdict
from orchestration.config import DangolHome, load_config
from orchestration.config import config_path as resolve_config_path
from orchestration.manifest import ensure_dbt_manifest
from publish.builds import run_lock


@dataclass
class RunOutcome:
    published: bool
    run_id: str
    problems: list[str] = field(default_factory=list)
    release_id: str | None = None
    unchanged: bool = False
    exports: dict[str, int] = field(default_factory=dict)
    export_folder: str | None = None
    export_manifest: str | None = None
    marketing_report: str | None = None
    warnings: list[str] = field(default_factory=list)
    quality_report: str | None = None
    # A check against the last release blocked; `--accept-anomalies` lets an expected change pass.
    anomaly_blocked: bool = False


@contextmanager
def _quiet_unless(verbose: bool, log_file: Path) -> Iterator[None]:
    """dagster-dbt echoes every dbt log line to stdout; keep them in a file for the operator."""
    if verbose:
        yield
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w", encoding="utf-8") as log, redirect_stdout(log):
        yield


def _instance():
    import dagster as dg

    # With DAGSTER_HOME set, CLI runs show up in the Dagster UI beside scheduled ones.
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None


def run_pipeline(
    home: DangolHome,
    config_path: Path | None,
    verbose: bool = False,
    accept_anomalies: bool = False,
) -> RunOutcome:
    config = load_config(config_path)  # fail on a bad config before any work starts
    ensure_dbt_manifest()
    import dagster as dg

    from orchestration.defs import build_definitions
    from orchestration.defs.resources import DangolResource

    resource = DangolResource(
        home=str(home.root),
        landing=str(home.landing),
        config_path=str(resolve_config_path(config_path)),
        accept_anomalies=accept_anomalies,
    )
    job = build_definitions(resource).resolve_job_def("dangol_pipeline")
    # Fail fast with a clear message; the run's own lock resource holds it while it works.
    with run_lock(home.lock_file):
        pass
    with _quiet_unless(verbose, home.root / "logs" / "last_run.log"):
        # The CLI prints its own verdict; the full event log is in the Dagster UI or --verbose.
        log_level = "INFO" if verbose else "CRITICAL"
        result = job.execute_in_process(
            instance=_instance(),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )

    outcome = RunOutcome(published=False, run_id=result.run_id)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            failure = event.step_failure_data.user_failure_data
            # Dagster wraps the cause ("Error occurred while executing op"); say the cause.
            while error is not None and error.cause is not None:
                error = error.cause
            if failure and failure.description:
                message = failure.description
            else:
                message = error.message.strip() if error else "unknown error"
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
    return outcome

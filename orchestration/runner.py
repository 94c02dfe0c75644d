"""Runs the pipeline job once, in-process, for the CLI; its outcome is what the run recorded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

from operations import progress
from operations.outcomes import RunOutcome
from operations.preflight import check_first_run_has_exports, check_home_writable, check_landing
from orchestration.config import DangolHome, load_config
from orchestration.config import config_path as resolve_config_path
from orchestration.manifest import ensure_dbt_manifest
from orchestration.run_outcome import PIPELINE_JOB, outcome_of_run
from publish.builds import run_lock

__all__ = ["RunOutcome", "run_pipeline"]


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
    display: progress.ProgressDisplay | None = None,
) -> RunOutcome:
    """Raises ConfigError, OperatorError or RunLocked before any work when the run cannot go."""
    config = load_config(config_path)  # fail on a bad config before any work starts
    config.alerts.urls()  # and on an alert secret missing from the environment
    check_landing(home.landing)
    check_home_writable(home.root)
    check_first_run_has_exports(home.landing, home.state_db)
    ensure_dbt_manifest()
    from orchestration.defs import build_definitions
    from orchestration.defs.resources import DangolResource

    resource = DangolResource(
        home=str(home.root),
        landing=str(home.landing),
        config_path=str(resolve_config_path(config_path)),
        accept_anomalies=accept_anomalies,
    )
    job = build_definitions(resource).resolve_job_def(PIPELINE_JOB)
    # Fail fast with a clear message; the run's own lock resource holds it while it works.
    with run_lock(home.lock_file):
        pass
    # The display writes to the terminal it was made for, not into the log file.
    with (
        progress.showing(display),
        _quiet_unless(verbose, home.logs_dir / "last_run.log"),
    ):
        # The CLI prints its own verdict; the full event log is in the Dagster UI or --verbose.
        log_level = "INFO" if verbose else "CRITICAL"
        result = job.execute_in_process(
            instance=_instance(),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    recorded = RunOutcome.load(home.last_run_file)
    if recorded and recorded.run_id == result.run_id:
        return recorded  # what the run's end recorded, alerts included
    # The run stopped before its end could record it (another run took the lock first).
    return outcome_of_run(result.run_id, result.all_events, config, home)

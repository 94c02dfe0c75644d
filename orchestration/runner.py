"""Runs the pipeline job once, in-process, for the CLI; turns the run's events into a verdict."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.config import DangolHome, load_config
from orchestration.config import config_path as resolve_config_path
from orchestration.manifest import ensure_dbt_manifest


class RunLocked(RuntimeError):
    pass


@dataclass
class RunOutcome:
    published: bool
    run_id: str
    problems: list[str] = field(default_factory=list)
    release_id: str | None = None
    exports: dict[str, int] = field(default_factory=dict)


@contextmanager
def run_lock(home: DangolHome) -> Iterator[None]:
    """One run per home at a time: two writers would race for the build and the state."""
    home.root.mkdir(parents=True, exist_ok=True)
    with home.lock_file.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunLocked(
                f"another dangol run (pid {holder}) is using {home.root}; "
                "wait for it to finish and run again"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


def run_pipeline(home: DangolHome, config_path: Path | None, verbose: bool = False) -> RunOutcome:
    config = load_config(config_path)  # fail on a bad config before any work starts
    ensure_dbt_manifest()
    import dagster as dg

    from orchestration.defs import build_definitions
    from orchestration.defs.resources import DangolResource

    resource = DangolResource(
        home=str(home.root),
        landing=str(home.landing),
        config_path=str(resolve_config_path(config_path)),
    )
    job = build_definitions(resource).resolve_job_def("dangol_pipeline")
    with run_lock(home), _quiet_unless(verbose, home.root / "logs" / "last_run.log"):
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
            message = (
                failure.description
                if failure and failure.description
                else error.message.strip()
                if error
                else "unknown error"
            )
            outcome.problems.append(f"step {event.step_key} failed: {message}")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_key.to_user_string()
                detail = evaluation.description or ""
                outcome.problems.append(f"check {key}:{evaluation.check_name} failed {detail}")
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            metadata = {k: v.value for k, v in materialization.metadata.items()}
            if materialization.asset_key == dg.AssetKey(["warehouse", "published"]):
                outcome.published = True
                outcome.release_id = metadata.get("release_id")
            elif materialization.asset_key == dg.AssetKey(["exports", "segment_lists"]):
                outcome.exports = {
                    k: v for k, v in metadata.items() if k in {s.name for s in config.segments}
                }
    return outcome

"""`dangol serve`: the production setup, dagster-webserver and dagster-daemon on one persistent
DAGSTER_HOME, the daily schedule and the landing sensor running (see automation.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration.config import REPO_ROOT, DangolHome
from orchestration.defs.automation import SERVE_ENV

WORKSPACE = REPO_ROOT / "workspace.yaml"
# SQLite under DAGSTER_HOME by default, in Dagster's own layout with its connections kept open
# (orchestration/dagster_storage.py); README "Operations" shows the Postgres storage block.
DAGSTER_YAML = """\
# Written by `dangol serve` once; edit freely (README, "Operations": Postgres storage).
# Dagster's SQLite storage, keeping a connection open per file (`sqlite: base_dir:` reads the
# same folder).
storage:
  custom:
    module: orchestration.dagster_storage
    class: DangolSqliteStorage
    config:
      base_dir: {storage}
# One run at a time: a home has one run lock; runs the schedule and sensor start wait in line.
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def prepare_dagster_home(dagster_home: Path) -> Path:
    """The instance's folder and its dagster.yaml, written only if there is none yet."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    settings = dagster_home / "dagster.yaml"
    if not settings.exists():
        settings.write_text(DAGSTER_YAML.format(storage=dagster_home / "storage"), "utf-8")
    return settings


def serve_environment(home: DangolHome, config: Path, dagster_home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DANGOL_HOME": str(home.root),
        "DANGOL_LANDING": str(home.landing),
        "DANGOL_CONFIG": str(config),
        "DAGSTER_HOME": str(dagster_home),
        SERVE_ENV: "1",
    }


def serve(
    home: DangolHome,
    config: Path,
    dagster_home: Path,
    host: str,
    port: int,
    webserver: bool = True,
) -> int:
    """Runs until stopped (Ctrl-C, SIGTERM) or until one of the two processes exits."""
    prepare_dagster_home(dagster_home)
    env = serve_environment(home, config, dagster_home)
    bin_dir = Path(sys.executable).parent
    commands = [[str(bin_dir / "dagster-daemon"), "run", "-w", str(WORKSPACE)]]
    if webserver:
        commands.append(
            [str(bin_dir / "dagster-webserver"), "-w", str(WORKSPACE), "-h", host, "-p", str(port)]
        )
    processes = [subprocess.Popen(command, env=env) for command in commands]

    def stop(*_):
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    stop()
    codes = [_wait_or_kill(process) for process in processes]
    return next((code for code in codes if code), 0)


def _wait_or_kill(process: subprocess.Popen) -> int:
    # The daemon finishes the tick it is in before it exits; a minute is plenty.
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()

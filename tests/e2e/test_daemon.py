"""The production setup for real: `dangol serve` starts dagster-daemon on a fresh persistent
Dagster home, its landing sensor sees a file land and starts a run that publishes."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from operations.outcomes import RunOutcome, RunVerdict
from orchestration.config import DEFAULT_CONFIG
from tests.conftest import FIXTURES, copy_home
from tests.operations.receivers import http_receiver, smtp_server

pytestmark = [pytest.mark.e2e, pytest.mark.daemon]
DANGOL = Path(sys.executable).with_name("dangol")


def served_config(tmp_path: Path, http_port: int, smtp_port: int) -> Path:
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config["automation"] = {"landing_sensor_interval_seconds": 5}
    config["alerts"] = {
        "destinations": [
            f"json://127.0.0.1:{http_port}/dangol",
            f"mailto://127.0.0.1:{smtp_port}?from=dangol@example.com&to=ops@example.com"
            "&mode=insecure",
        ]
    }
    # The fixture's history is months old and tiny: this run is clean, so it sends no alert.
    config["quality"]["max_days_since_last_order"] = {"limit": 100_000, "severity": "warn"}
    config["quality"]["max_segment_share_jump_pct_points"] = {"limit": 100, "severity": "warn"}
    path = tmp_path / "dangol.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def test_the_daemon_runs_the_pipeline_when_a_file_lands(fixture_release, tmp_path: Path):
    home = copy_home(fixture_release, tmp_path)
    for exported in home.landing.glob("*/*"):
        exported.unlink()  # loaded already; the sensor waits for something to land
    first_run = RunOutcome.load(home.last_run_file).run_id
    dagster_home = tmp_path / "dagster"
    started = time.monotonic()
    with http_receiver() as (http_port, posts), smtp_server() as (smtp_port, mails):
        config = served_config(tmp_path, http_port, smtp_port)
        served = subprocess.Popen(
            [str(DANGOL), "serve", "--no-webserver", "--home", str(home.root),
             "--landing", str(home.landing), "--config", str(config),
             "--dagster-home", str(dagster_home)],
            start_new_session=True,  # its own process group: stopped whole at the end
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            shutil.copy(FIXTURES / "later_exports" / "shop" / "orders_export_2.csv",
                        home.landing / "shop")  # fmt: skip
            outcome = None
            while time.monotonic() - started < 420 and served.poll() is None:
                outcome = RunOutcome.load(home.last_run_file)
                if outcome and outcome.run_id != first_run:
                    break
                time.sleep(2)
        finally:
            os.killpg(served.pid, signal.SIGTERM)
            output = served.communicate(timeout=60)[0]
        print(f"daemon test: run recorded after {time.monotonic() - started:.0f}s")

    assert outcome and outcome.run_id != first_run, output[-3000:]
    assert outcome.verdict == RunVerdict.PUBLISHED, outcome.problems
    assert posts == [] and mails == []  # a clean run tells nobody
    assert (dagster_home / "dagster.yaml").exists()
    with duckdb.connect(str(home.published_db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_orders").fetchone() == (7,)
    # The run's dbt artifacts are in the home, not in the code checkout.
    assert (home.dbt_target(outcome.run_id) / "run_results.json").exists()
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_run_by_id(outcome.run_id)
        stats = instance.get_run_stats(outcome.run_id)
    print(f"daemon test: the run took {stats.end_time - stats.start_time:.0f}s")
    assert run.tags.get("dagster/sensor_name") == "new_landing_files"

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
from orchestration.config import DEFAULT_CONFIG, DangolHome
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
    # The fixture's history is months old and tiny: no freshness or segment-jump warning.
    config["quality"]["max_days_since_last_order"] = {"limit": 100_000, "severity": "warn"}
    config["quality"]["max_segment_share_jump_pct_points"] = {"limit": 100, "severity": "warn"}
    path = tmp_path / "dangol.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def next_run(home: DangolHome, after: str, served: subprocess.Popen, deadline: float):
    """The outcome the next run records at its end (None if none came by the deadline)."""
    while time.monotonic() < deadline and served.poll() is None:
        outcome = RunOutcome.load(home.last_run_file)
        if outcome and outcome.run_id != after:
            return outcome
        time.sleep(2)
    return None


def test_the_daemon_runs_the_pipeline_when_a_file_lands_and_alerts_like_the_cli(
    fixture_release, tmp_path: Path
):
    home = copy_home(fixture_release, tmp_path)
    for exported in home.landing.glob("*/*"):
        exported.unlink()  # loaded already; the sensor waits for something to land
    first_run = RunOutcome.load(home.last_run_file).run_id
    dagster_home, log = tmp_path / "dagster", tmp_path / "serve.log"
    started = time.monotonic()
    deadline = started + 600
    with (
        http_receiver() as (http_port, posts),
        smtp_server() as (smtp_port, mails),
        log.open("w") as output,
    ):
        config = served_config(tmp_path, http_port, smtp_port)
        served = subprocess.Popen(
            [str(DANGOL), "serve", "--no-webserver", "--home", str(home.root),
             "--landing", str(home.landing), "--config", str(config),
             "--dagster-home", str(dagster_home)],
            start_new_session=True,  # its own process group: stopped whole at the end
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            shutil.copy(FIXTURES / "later_exports" / "shop" / "orders_export_2.csv",
                        home.landing / "shop")  # fmt: skip
            published = next_run(home, first_run, served, deadline)
            print(f"daemon test: first run recorded after {time.monotonic() - started:.0f}s")
            alerts_after_clean_run = (len(posts), len(mails))
            # Then a file that is no export: the sensor's run fails and tells people.
            (home.landing / "crm" / "contacts_broken.csv").write_bytes(b"\x00\x01junk" * 50)
            failed = next_run(home, published.run_id if published else first_run, served, deadline)
            print(f"daemon test: second run recorded after {time.monotonic() - started:.0f}s")
        finally:
            os.killpg(served.pid, signal.SIGTERM)
            served.wait(timeout=90)
    shown = log.read_text(errors="replace")[-3000:]

    # The fixture is far too small for the CLV model: the release publishes without a
    # prediction and says why, so people hear of it once (a warning, not a failure).
    assert published and published.verdict == RunVerdict.WARNED, shown
    assert alerts_after_clean_run == (1, 1)
    assert "clv_model_fit" in posts[0]["message"] and "too few buyers" in posts[0]["message"]
    with duckdb.connect(str(home.published_db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_orders").fetchone() == (7,)
    # The run's dbt artifacts are in the home, not in the code checkout.
    assert "Completed successfully" in (home.dbt_target(published.run_id) / "dbt.log").read_text()
    assert failed and failed.verdict == RunVerdict.FAILED, shown
    assert len(posts) == 2 and len(mails) == 2
    assert "crm/contacts_broken.csv" in posts[1]["message"] and "contacts_broken" in mails[1]
    assert (dagster_home / "dagster.yaml").exists()
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = [instance.get_run_by_id(r.run_id) for r in (published, failed)]
    assert [run.tags.get("dagster/sensor_name") for run in runs] == ["new_landing_files"] * 2

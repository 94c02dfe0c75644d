"""The end of every pipeline run: one alert when a person is needed (none when the run was
clean), the run's record, and `dangol status` over homes in each state.

The failed and blocked runs are real pipeline runs that stop early and cheaply: a file that
is not an export (quarantined in ingest) and a raw table that lost a row its ledger counts
(blocked by the quality gate before dbt runs)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from ingest.landing import LANDED_SCHEMA
from operations.outcomes import RunOutcome, RunVerdict
from operations.run_inputs import GoodRun, check_nothing_new
from orchestration.cli import app
from orchestration.config import DEFAULT_CONFIG, DangolHome, load_config
from orchestration.runner import run_pipeline
from publish.builds import run_lock
from publish.releases import published_release_id
from tests.conftest import FIXTURES, copy_home, good_run_of_today
from tests.operations.receivers import free_port, http_receiver, smtp_server

SECRET = "hunter2-not-for-logs"
DANGOL = Path(sys.executable).with_name("dangol")


@pytest.fixture(scope="module")
def receivers():
    with smtp_server() as (smtp_port, mails), http_receiver() as (http_port, posts):
        yield {"smtp": smtp_port, "mails": mails, "http": http_port, "posts": posts}


def config_with(tmp_path: Path, destinations: list[str], **sections) -> Path:
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config["alerts"] = {"destinations": destinations}
    config.update(sections)
    path = tmp_path / "dangol.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def destinations(receivers) -> list[str]:
    return [
        f"mailto://127.0.0.1:{receivers['smtp']}?from=dangol@example.com"
        "&to=data-team@example.com&mode=insecure",
        f"json://127.0.0.1:{receivers['http']}/dangol",
    ]


def failed_home(source: DangolHome, root: Path) -> DangolHome:
    """A later export that loads, beside a file that is no export at all."""
    home = copy_home(source, root)
    shutil.copy(FIXTURES / "later_exports" / "shop" / "orders_export_2.csv", home.landing / "shop")
    (home.landing / "shop" / "orders_export_3.csv").write_bytes(b"\x00\x01junk" * 50)
    return home


def blocked_home(source: DangolHome, root: Path) -> DangolHome:
    """The state lost a CRM contact row that its ingest ledger says was loaded."""
    home = copy_home(source, root)
    with duckdb.connect(str(home.state_db)) as con:
        stored = f"{LANDED_SCHEMA}.crm_contacts"
        con.execute(f"delete from {stored} where rowid = (select min(rowid) from {stored})")
    return home


@pytest.fixture(scope="module")
def failed_run(fixture_release, receivers, tmp_path_factory):
    root = tmp_path_factory.mktemp("failed")
    home = failed_home(fixture_release, root)
    refused = f"json://dangol:{SECRET}@127.0.0.1:{free_port()}/nobody-listens"
    config = config_with(root, [*destinations(receivers), refused])
    before = (len(receivers["mails"]), len(receivers["posts"]))
    result = CliRunner().invoke(
        app,
        ["run", "--home", str(home.root), "--landing", str(home.landing), "--config", str(config)],
    )
    sent = (receivers["mails"][before[0] :], receivers["posts"][before[1] :])
    return home, result, sent


@pytest.fixture(scope="module")
def blocked_run(fixture_release, receivers, tmp_path_factory):
    root = tmp_path_factory.mktemp("blocked")
    home = blocked_home(fixture_release, root)
    before = (len(receivers["mails"]), len(receivers["posts"]))
    outcome = run_pipeline(home, config_with(root, destinations(receivers)))
    sent = (receivers["mails"][before[0] :], receivers["posts"][before[1] :])
    return home, outcome, sent


def test_a_failed_run_sends_one_alert_to_each_destination_naming_the_file(failed_run):
    home, result, (mails, posts) = failed_run

    assert result.exit_code == 1
    assert len(mails) == 1 and len(posts) == 1
    assert posts[0]["title"] == f"Dangol run {RunVerdict.FAILED}"
    assert "shop/orders_export_3.csv" in posts[0]["message"]
    assert "shop/orders_export_3.csv" in mails[0] and "Subject: Dangol run failed" in mails[0]
    assert str(home.root) in posts[0]["message"]


def test_a_refused_destination_leaves_the_outcome_unchanged_and_no_secret_anywhere(failed_run):
    home, result, (_, posts) = failed_run
    outcome = RunOutcome.load(home.last_run_file)

    assert outcome.verdict == RunVerdict.FAILED
    assert any("orders_export_3.csv" in problem for problem in outcome.problems)
    assert (
        len(outcome.undelivered_alerts) == 1 and "nobody-listens" in outcome.undelivered_alerts[0]
    )
    assert "Alert not delivered" in result.output
    assert len(posts) == 1  # the destinations that listen still got theirs
    written = [p for p in home.root.rglob("*") if p.is_file() and p.suffix in {".json", ".log"}]
    assert written and not any(SECRET in p.read_text(errors="replace") for p in written)
    assert SECRET not in result.output


def test_progress_is_plain_lines_with_the_elapsed_time_when_not_a_terminal(failed_run):
    _, result, _ = failed_run

    assert "s] Ingest: new landing files" in result.output
    assert "shop/orders_export_2.csv: 3 rows loaded, 0 rejected" in result.output


def test_a_blocked_run_sends_one_alert_naming_the_check_and_the_report(blocked_run):
    _, outcome, (mails, posts) = blocked_run

    assert outcome.verdict == RunVerdict.BLOCKED and not outcome.published
    assert len(mails) == 1 and len(posts) == 1
    message = posts[0]["message"]
    assert posts[0]["title"] == f"Dangol run {RunVerdict.BLOCKED}"
    assert "raw/crm_contacts:rows_match_ingest_ledger failed" in message
    assert f"Quality report: {outcome.quality_report}" in message
    assert Path(outcome.quality_report).exists()
    assert "rows_match_ingest_ledger" in mails[0]


def status(home: DangolHome, *options: str):
    result = CliRunner().invoke(
        app, ["status", "--home", str(home.root), "--landing", str(home.landing), *options]
    )
    return result, json.loads(
        CliRunner()
        .invoke(app, ["status", "--home", str(home.root), "--landing", str(home.landing), "--json"])
        .output
    )


def test_status_of_a_fresh_home_says_nothing_was_published(tmp_path: Path):
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    (home.landing / "shop").mkdir(parents=True)
    shutil.copy(FIXTURES / "landing" / "shop" / "orders_export_1.csv", home.landing / "shop")

    result, record = status(home)

    assert result.exit_code == 1
    assert "Nothing published yet" in result.output and "Last run: none recorded" in result.output
    assert record["release_id"] is None and record["last_run"] is None
    assert record["waiting_files"] == ["shop/orders_export_1.csv"]
    assert not home.root.exists()  # asking changes nothing


def test_status_of_a_published_home(fixture_release: DangolHome):
    result, record = status(fixture_release)

    assert result.exit_code == 0, result.output
    assert record["healthy"] and record["last_run"]["published"]
    assert record["release_id"] and record["release_id"] in result.output
    assert record["waiting_files"] == [] and record["quarantined"] == []
    assert record["last_run"]["exports"]["vip_top_decile"] >= 1
    assert record["newest_orders"]["shopify"].startswith("2026-04-04")
    assert record["disk_bytes"]["releases"] > 0 and record["disk_bytes"]["dbt artifacts"] > 0
    assert {s["family"]: s["newest_file"] for s in record["sources"]} == {
        "shop": "orders_export_1.csv",
        "crm": "contacts.csv",
        "sns": "engagement_events.csv",
    }


def test_status_of_a_blocked_home_names_the_check(blocked_run):
    home, outcome, _ = blocked_run

    result, record = status(home)

    assert result.exit_code == 1
    assert f"Last run {outcome.run_id}" in result.output and "blocked" in result.output
    assert "rows_match_ingest_ledger failed" in result.output
    assert record["last_run"]["verdict"] == RunVerdict.BLOCKED
    assert record["release_id"]  # BI tools still read the earlier release


def test_status_of_a_home_with_a_quarantined_file(failed_run):
    home, _, _ = failed_run

    result, record = status(home)

    assert result.exit_code == 1
    assert record["quarantined"] == [
        {
            "file": "_quarantine/shop/orders_export_3.csv",
            "reason": record["quarantined"][0]["reason"],
        }
    ]
    assert "binary" in record["quarantined"][0]["reason"]
    assert "_quarantine/shop/orders_export_3.csv" in result.output
    # The later export that loaded was not published: it waits for the next run.
    assert record["waiting_files"] == ["shop/orders_export_2.csv"]


def test_status_of_a_stale_source(fixture_release: DangolHome, tmp_path: Path):
    home = copy_home(fixture_release, tmp_path)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with duckdb.connect(str(home.state_db)) as con:
        con.execute(
            "update raw.ingest_files set ingested_at = ? where source_family = 'shop'", [long_ago]
        )

    result, record = status(home)

    assert result.exit_code == 1
    assert record["stale_sources"] == ["shop"]  # shop allows 2 days, crm and sns 7
    assert "STALE shop: newest file orders_export_1.csv" in result.output


def test_a_run_that_succeeded_records_its_inputs_and_a_failed_one_leaves_them(
    fixture_release: DangolHome, failed_run
):
    good = GoodRun.load(fixture_release.good_run_file)
    assert good is not None and good.run_id == RunOutcome.load(fixture_release.last_run_file).run_id
    assert good.release_id == published_release_id(fixture_release.warehouse_dir)[0]
    # Nothing after the record touched the warehouse: the same run again is nothing new.
    finished = dt.datetime.fromisoformat(good.finished_at)
    assert check_nothing_new(fixture_release, load_config(DEFAULT_CONFIG), finished).nothing_new

    home, _, _ = failed_run
    after_failure = GoodRun.load(home.good_run_file)
    assert (after_failure.run_id, after_failure.inputs) == (good.run_id, good.inputs)
    assert not check_nothing_new(home, load_config(DEFAULT_CONFIG), finished).nothing_new
    # The landing put back as it was (the junk file is in quarantine): the warehouse is what
    # it was, so nothing is new.
    later, aside = home.landing / "shop" / "orders_export_2.csv", home.root.parent / "aside.csv"
    later.rename(aside)
    assert check_nothing_new(home, load_config(DEFAULT_CONFIG), finished).nothing_new
    aside.rename(later)  # as the other tests of this failed run expect


def test_a_run_with_nothing_new_says_so_and_starts_nothing(
    fixture_release: DangolHome, tmp_path: Path
):
    home = good_run_of_today(copy_home(fixture_release, tmp_path))
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()

    def untouched() -> dict[str, int]:
        folders = (home.exports_dir, home.dbt_artifacts_dir, home.build_dir, home.logs_dir)
        files = [path for folder in folders for path in folder.rglob("*")]
        return {str(path): path.stat().st_mtime_ns for path in [*files, home.published_db]}

    before, release_before = untouched(), published_release_id(home.warehouse_dir)
    good = GoodRun.load(home.good_run_file)

    skipped = subprocess.run(
        [str(DANGOL), "run", "--home", str(home.root), "--landing", str(home.landing)],
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.startswith(
        f"Nothing new since run {good.run_id} (release {release_before[0]}, {good.finished_at})"
    )
    assert untouched() == before and published_release_id(home.warehouse_dir) == release_before
    assert not any(dagster_home.iterdir())  # no Dagster instance, so no run, was started
    result, record = status(home)
    assert result.exit_code == 0 and f"nothing new since run {good.run_id}" in result.output
    assert record["next_run"]["nothing_new"]
    assert record["next_run"]["last_good_run"]["last_skipped_at"]
    assert record["last_run"]["run_id"] == good.run_id  # a skip leaves the last run's record

    with run_lock(home.lock_file):  # --force goes past the check, up to the run's lock
        forced = CliRunner().invoke(
            app, ["run", "--force", "--home", str(home.root), "--landing", str(home.landing)]
        )
    assert forced.exit_code == 3 and "another dangol run" in forced.output

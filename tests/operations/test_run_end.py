"""The end of every pipeline run: one alert when a person is needed (none when the run was
clean), the run's record, and `dangol status` over homes in each state.

The failed and blocked runs are real pipeline runs that stop early and cheaply: a file that
is not an export (quarantined in ingest) and a raw table that lost a row its ledger counts
(blocked by the quality gate before dbt runs)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from ingest.landing import LANDED_SCHEMA
from operations.outcomes import RunOutcome, RunVerdict
from orchestration.cli import app
from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.runner import run_pipeline
from tests.conftest import FIXTURES, copy_home
from tests.operations.receivers import free_port, http_receiver, smtp_server

SECRET = "hunter2-not-for-logs"


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

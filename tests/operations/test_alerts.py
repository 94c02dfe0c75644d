"""Which runs need a person: the message, not its delivery (tests/operations/test_run_end.py
sends real ones)."""

import datetime as dt

import pytest
import yaml
from typer.testing import CliRunner

from operations.alerts import run_alert
from operations.outcomes import RunOutcome
from operations.status import SourceFreshness
from orchestration.cli import app
from orchestration.config import DEFAULT_CONFIG, AlertsConfig, ConfigError

STALE_SHOP = SourceFreshness(
    family="shop",
    newest_file="orders_export_1.csv",
    newest_file_loaded_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5),
    max_days_without_new_file=2,
    stale=True,
)


def test_a_clean_run_with_fresh_sources_sends_nothing():
    clean = RunOutcome(published=True, run_id="r1", release_id="rel-1")

    assert run_alert(clean, [], "/srv/dangol") is None


def test_a_stale_source_is_alerted_even_after_a_clean_run():
    clean = RunOutcome(published=True, run_id="r1", release_id="rel-1")

    alert = run_alert(clean, [STALE_SHOP], "/srv/dangol")

    assert alert.title == "Dangol: 1 stale source(s)" and alert.severity == "warning"
    assert "shop: newest file orders_export_1.csv loaded" in alert.body
    assert "(5 days ago; allowed 2)" in alert.body


def test_a_run_published_with_warnings_names_them():
    warned = RunOutcome(
        published=True, run_id="r1", release_id="rel-1", warnings=["check marts/x:y warns: z"]
    )

    alert = run_alert(warned, [], "/srv/dangol")

    assert alert.title == "Dangol run published with warnings"
    assert "- check marts/x:y warns: z" in alert.body and "rel-1" in alert.body


def test_an_anomaly_block_says_how_to_accept_an_expected_change():
    blocked = RunOutcome(
        published=False,
        run_id="r1",
        problems=["check marts/fct_orders:anomalies failed: order count -40%"],
        blocked=True,
        anomaly_blocked=True,
        quality_report="/srv/dangol/reports/quality/r1/index.html",
    )

    alert = run_alert(blocked, [STALE_SHOP], "/srv/dangol")

    assert alert.title == "Dangol run blocked by the quality gate"
    assert alert.severity == "failure"
    assert "--accept-anomalies" in alert.body and "Stale sources" in alert.body
    assert "Quality report: /srv/dangol/reports/quality/r1/index.html" in alert.body


def test_a_run_that_published_but_wrote_no_lists_does_not_claim_nothing_was_published():
    half = RunOutcome(
        published=True,
        run_id="r1",
        release_id="rel-1",
        problems=["step exports__segment_lists failed: disk full"],
    )

    alert = run_alert(half, [], "/srv/dangol")

    assert alert.title == "Dangol run failed" and alert.severity == "failure"
    assert "published release rel-1, but its segment lists or report were not written" in alert.body
    assert "nothing was published" not in alert.body


def test_secrets_come_from_the_environment_and_a_missing_one_stops_the_run_first(
    monkeypatch, tmp_path
):
    alerts = AlertsConfig(destinations=["json://hooks.example.com/${DANGOL_TEST_HOOK}", "${X_URL}"])
    monkeypatch.setenv("DANGOL_TEST_HOOK", "s3cr3t")
    monkeypatch.setenv("X_URL", "slack://a/b/c")
    assert alerts.urls() == ["json://hooks.example.com/s3cr3t", "slack://a/b/c"]

    monkeypatch.delenv("X_URL")
    with pytest.raises(ConfigError, match=r"alerts.destinations\[1\]: environment variable X_URL"):
        alerts.urls()
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config["alerts"] = {"destinations": ["${X_URL}"]}
    (tmp_path / "dangol.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    result = CliRunner().invoke(
        app, ["run", "--home", str(tmp_path / "home"), "--config", str(tmp_path / "dangol.yaml")]
    )
    assert result.exit_code == 2 and "environment variable X_URL is not set" in result.output
    assert not (tmp_path / "home").exists()

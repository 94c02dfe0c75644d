"""The CLI words a run's typed outcome; it matches no check text."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

import orchestration.runner
from orchestration.cli import app
from orchestration.runner import RunOutcome

HINT = "run again with --accept-anomalies"


def run_cli(monkeypatch, tmp_path: Path, outcome: RunOutcome):
    monkeypatch.setattr(orchestration.runner, "run_pipeline", lambda *args: outcome)
    return CliRunner().invoke(app, ["run", "--home", str(tmp_path / "home")])


@pytest.mark.parametrize("anomaly_blocked", [True, False])
def test_a_blocked_run_names_the_failed_check_and_hints_only_for_anomalies(
    monkeypatch, tmp_path: Path, anomaly_blocked: bool
):
    # The wording of the problem is not what decides the hint.
    problem = "check marts/fct_orders:anomalies_vs_last_release failed: ..."
    outcome = RunOutcome(
        published=False, run_id="r1", problems=[problem], anomaly_blocked=anomaly_blocked
    )

    result = run_cli(monkeypatch, tmp_path, outcome)

    assert result.exit_code == 1
    assert f"  - {problem}" in result.output
    assert (HINT in result.output) is anomaly_blocked

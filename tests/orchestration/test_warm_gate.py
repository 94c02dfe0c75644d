"""The warm gate (orchestration/warm_gate.py): a run's audits in a process forked as `dangol run`
starts, which imports great-expectations while the run imports the rest.

A test process runs threads (pytest-xdist's), where the warm gate refuses to fork, so each
test starts a fresh interpreter that forks it as `dangol run` does."""

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import process_gone
from tests.data_quality.test_gate import DUPLICATE_ORDER_WITH_NEGATIVE_REVENUE, audit, execute

# Arguments: a build file and "audit" or "kill". Prints one JSON line.
PROBE = """
import json, os, signal, sys
from dataclasses import replace
from pathlib import Path

from orchestration import warm_gate as gate

build_db, action = Path(sys.argv[1]), sys.argv[2]
with gate.warm_gate():
    if action == "kill":
        print(json.dumps({"gate": gate._gate.pid}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    # What `dangol run` imports before its job: the runner and the definitions.
    from orchestration.runner import run_pipeline
    from orchestration.defs import build_definitions
    from orchestration.config import QualityConfig, RfmConfig
    from data_quality.suites import ERROR, Threshold
    from tests.conftest import duckdb_resources

    thresholds = replace(
        QualityConfig().thresholds(RfmConfig().score_bins),
        max_days_since_last_order=Threshold(100_000, ERROR),
    )
    answer = {"gate": gate._gate.pid}
    for build in (build_db, build_db.with_name("no-such-build.duckdb")):
        try:
            report = gate.run_audit(
                build_db=build,
                thresholds=thresholds,
                raw_tables=["shopify_orders"],
                resources=duckdb_resources(build.parent),
            )
            answer["summary"] = report.summary()
            answer["verdicts"] = {a.target.name: a.verdict.value for a in report.audits}
        except Exception as error:
            answer["error"] = [type(error).__name__, str(error)]
    answer["imported_here"] = "great_expectations" in sys.modules
print(json.dumps(answer))
"""


def probe(build_db: Path, action: str = "audit") -> tuple[subprocess.CompletedProcess, dict]:
    process = subprocess.run(
        [sys.executable, "-c", PROBE, str(build_db), action],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return process, json.loads(process.stdout.splitlines()[-1]) if process.stdout else {}


def test_an_audit_in_the_warm_gate_reports_what_one_here_does(build_db: Path):
    execute(build_db, DUPLICATE_ORDER_WITH_NEGATIVE_REVENUE)  # one blocking failure to carry

    process, there = probe(build_db)
    here, _ = audit(build_db)

    assert process.returncode == 0, process.stderr
    assert there["verdicts"] == {a.target.name: a.verdict.value for a in here.audits}
    assert there["verdicts"]["marts.fct_orders.great_expectations_suite"] == "blocked"
    assert there["summary"] == here.summary()
    # An audit that raised there raises here, as itself: a missing build file.
    assert there["error"][0] == "IOException" and "no-such-build.duckdb" in there["error"][1]
    # The run's process asked, having imported its runner and definitions; the gate imported
    # great-expectations and audited. It exited with the `with` block.
    assert there["imported_here"] is False
    assert process_gone(there["gate"], within=10)


def test_the_gate_ends_when_the_run_is_killed(build_db: Path):
    process, there = probe(build_db, "kill")

    assert process.returncode == -signal.SIGKILL
    assert process_gone(there["gate"], within=10)

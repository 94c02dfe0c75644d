"""great-expectations loads scipy.stats and altair as it imports, for an expectation no suite
here uses; the gate's import leaves them to load on first use (data_quality/__init__.py)."""

import subprocess
import sys

PROBE = """
import sys
import data_quality.gate

lazy = {name: type(sys.modules[name]).__name__ for name in ("scipy.stats", "altair")}
from scipy import stats

print(lazy["scipy.stats"], lazy["altair"], round(stats.entropy([0.5, 0.5]), 4))
"""


def test_the_gate_imports_great_expectations_without_loading_scipy_stats_or_altair():
    # A fresh interpreter: this test process may have loaded either already.
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)

    assert probe.returncode == 0, probe.stderr
    # Both still wait for their first use, and the first use loads the real module.
    assert probe.stdout.split() == ["_LazyModule", "_LazyModule", "0.6931"]

"""Faults: runs killed with SIGKILL at each stage, a second run at the same time.

The promise under test: the published release stays whole and readable, the pipeline's
state is exactly as the last good run left it, and the next run loads every file once.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.failpoints import FAILPOINTS
from publish.builds import run_lock
from tests.conftest import FIXTURES, copy_home

pytestmark = pytest.mark.e2e
DANGOL = Path(sys.executable).with_name("dangol")


@pytest.fixture
def home(fixture_release: DangolHome, tmp_path: Path) -> DangolHome:
    """The first release's home, with a later export waiting: a refund and a new order."""
    home = copy_home(fixture_release, tmp_path)
    shutil.copy(FIXTURES / "later_exports" / "shop" / "orders_export_2.csv", home.landing / "shop")
    return home


def dangol_run(home: DangolHome, failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DANGOL_FAILPOINT"}
    if failpoint:
        env["DANGOL_FAILPOINT"] = failpoint
    return subprocess.run(
        [str(DANGOL), "run", "--home", str(home.root), "--landing", str(home.landing)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,  # its own process group, so the kill takes dbt down too
        check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_run_killed_at_any_stage_leaves_a_whole_release_and_recovers(home: DangolHome):
    """Killed at each stage in turn, on the same home: every next run gets past the point
    the last one died at, and one run after all of them recovers everything."""
    published_before, state_before = digest(home.published_db), digest(home.state_db)

    for point in FAILPOINTS:
        killed = dangol_run(home, failpoint=point)

        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr[-2000:])
        assert digest(home.state_db) == state_before, point
        orders = query(home.published_db, "select count(*) from marts.fct_orders")[0][0]
        if point == "publish.activated":
            assert orders == 7  # killed after the new release went live: it is whole
        else:
            assert digest(home.published_db) == published_before, point
            assert orders == 6, point

    recovered = dangol_run(home)

    assert recovered.returncode == 0, recovered.stderr[-3000:]
    ledger = query(
        home.state_db, "select count(*), count(distinct file_sha256) from raw.ingest_files"
    )
    assert ledger == [(4, 4)]  # three first exports and the later one, each loaded once
    assert query(
        home.published_db,
        "select count(*), sum(net_amount) filter (where order_id = 'shopify-5100000000001')"
        " from marts.fct_orders",
    ) == [(7, 33900)]  # the later export's refund of 5,000 won reached the warehouse


def test_a_second_run_on_the_same_home_is_refused_clearly(home: DangolHome):
    with run_lock(home.lock_file):
        refused = dangol_run(home)

    assert refused.returncode == 3
    assert "another dangol run" in refused.stderr and str(os.getpid()) in refused.stderr


def test_the_run_holds_the_lock_however_it_was_started(home: DangolHome):
    import dagster as dg

    from orchestration.defs import build_definitions
    from orchestration.defs.resources import DangolResource

    defs = build_definitions(
        DangolResource(
            home=str(home.root), landing=str(home.landing), config_path=str(DEFAULT_CONFIG)
        )
    )
    with run_lock(home.lock_file):
        result = defs.resolve_job_def("dangol_pipeline").execute_in_process(
            raise_on_error=False, instance=dg.DagsterInstance.ephemeral()
        )

    assert not result.success
    assert "another dangol run" in str(result.all_events)
    assert query(home.state_db, "select count(*) from raw.ingest_files") == [(3,)]

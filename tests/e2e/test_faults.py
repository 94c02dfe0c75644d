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
import tempfile
import traceback
from collections.abc import Iterator
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


@pytest.fixture
def killed_runs_temp() -> Iterator[Path]:
    """The system temporary folder of the runs these tests kill, apart from everyone's and
    removed after: a process killed with SIGKILL removes none of its temporary folders. Short,
    unlike tmp_path: the warm dbt's socket path in it must fit in 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="dangol-faults-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def dangol_run(home: DangolHome) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DANGOL), "run", "--home", str(home.root), "--landing", str(home.landing)],
        env={k: v for k, v in os.environ.items() if k != "DANGOL_FAILPOINT"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def dangol_run_killed_at(home: DangolHome, failpoint: str | None, output: Path, temp: Path) -> int:
    """`dangol run` in a child forked from this process, leading a process group of its own
    (so the kill takes dbt down too), as `dangol_run` would start it, but with Dagster, dbt
    and great-expectations already imported: the six runs below would import them six times
    (about 9 s each), and with `temp` as its system temporary folder. Returns its exit status
    as subprocess does (-9 when killed)."""
    from data_quality import gate  # noqa: F401  (the run's warm gate, forked from the run)
    from orchestration import cli, runner  # noqa: F401  (imported once, before the fork)
    from orchestration.defs import build_definitions  # noqa: F401

    pid = os.fork()
    if pid == 0:  # the child: never back into pytest, whatever happens
        code = 70
        try:
            os.setsid()
            signal.alarm(600)  # a hung run ends, as subprocess.run's timeout would end it
            os.environ["TMPDIR"] = str(temp)  # for the processes it starts
            tempfile.tempdir = str(temp)  # this one chose its folder before the fork
            if failpoint:
                os.environ["DANGOL_FAILPOINT"] = failpoint
            else:
                os.environ.pop("DANGOL_FAILPOINT", None)
            log = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(log, 1)
            os.dup2(log, 2)
            sys.stdout = sys.stderr = open(log, "w", buffering=1, closefd=False)  # noqa: SIM115
            args = ["run", "--home", str(home.root), "--landing", str(home.landing)]
            try:
                cli.app(args, prog_name="dangol")
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:
                traceback.print_exc()  # into the output file, for the assertion's message
                sys.stderr.flush()
        finally:
            os._exit(code)
    status = os.waitpid(pid, 0)[1]
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_run_killed_at_any_stage_leaves_a_whole_release_and_recovers(
    home: DangolHome, killed_runs_temp: Path
):
    """Killed at each stage in turn, on the same home: every next run gets past the point
    the last one died at, and one run after all of them recovers everything."""
    published_before, state_before = digest(home.published_db), digest(home.state_db)

    for point in FAILPOINTS:
        output = home.root.parent / f"killed-at-{point}.txt"
        status = dangol_run_killed_at(home, point, output, killed_runs_temp)

        assert status == -signal.SIGKILL, (point, output.read_text()[-2000:])
        if point == "ingest.file_loaded":
            # Its UTF-8 copies of exports are in the owner-only build, which the next run clears.
            assert list(home.build_dir.glob("dangol-ingest-*")), point
        assert digest(home.state_db) == state_before, point
        orders = query(home.published_db, "select count(*) from marts.fct_orders")[0][0]
        if point == "publish.activated":
            assert orders == 7  # killed after the new release went live: it is whole
        else:
            assert digest(home.published_db) == published_before, point
            assert orders == 6, point

    output = home.root.parent / "recovered.txt"
    recovered = dangol_run_killed_at(home, None, output, killed_runs_temp)
    assert recovered == 0, output.read_text()[-3000:]
    assert not list(home.build_dir.glob("dangol-ingest-*"))
    assert not list(killed_runs_temp.glob("dangol-ingest-*"))  # no copy of an export left there
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

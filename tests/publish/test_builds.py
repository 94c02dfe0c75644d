"""The build's path is the same every run (dbt's parse carries over); who owns it is recorded,
and a dbt left behind by a killed run is stopped before the next build starts."""

import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.config import DangolHome
from orchestration.dbt_process import WORKDIR_FLAG
from publish.builds import build_owned_by, record_dbt_process, start_build


def published_state(home: DangolHome) -> None:
    home.state_db.parent.mkdir(parents=True)
    with duckdb.connect(str(home.state_db)) as con:
        con.execute("create table published as select 42 as answer")


def test_a_build_starts_from_the_state_and_belongs_to_its_run_only(tmp_path: Path):
    home = DangolHome(root=tmp_path, landing=tmp_path / "landing")
    published_state(home)
    home.build_dir.mkdir()
    (home.build_dir / "pipeline.duckdb.wal").write_bytes(b"left by a killed run")

    start_build(home.state_db, home.build_db, "run-2")

    assert build_owned_by(home.build_db, "run-2")
    assert not build_owned_by(home.build_db, "run-1")
    assert not (home.build_dir / "pipeline.duckdb.wal").exists()
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        assert con.execute("select answer from published").fetchone() == (42,)


def test_a_dbt_left_behind_by_a_killed_run_is_stopped_before_the_next_build(tmp_path: Path):
    # A Korean folder name: the command line holds it as the file system's bytes.
    home = DangolHome(root=tmp_path / "단골", landing=tmp_path / "landing")
    published_state(home)
    start_build(home.state_db, home.build_db, "killed-run")
    # What dagster-dbt starts: dangol-dbt, told the build folder it works in.
    sleep = [sys.executable, "-c", "import time; time.sleep(120)"]
    works_in = lambda folder: ["build", WORKDIR_FLAG, str(folder)]  # noqa: E731
    left_behind = subprocess.Popen([*sleep, *works_in(home.build_db.parent)])
    record_dbt_process(home.build_db, left_behind.pid)
    # A dbt of another home, under a pid this home's file names after a reuse.
    unrelated = subprocess.Popen([*sleep, *works_in(tmp_path / "other" / "build")])
    try:
        started = time.monotonic()
        start_build(home.state_db, home.build_db, "next-run")

        assert left_behind.wait(timeout=5) == -9
        assert time.monotonic() - started < 5
        assert build_owned_by(home.build_db, "next-run")
        # A pid file naming a process that does not work on this build stops nothing.
        record_dbt_process(home.build_db, unrelated.pid)
        start_build(home.state_db, home.build_db, "third-run")
        assert unrelated.poll() is None
    finally:
        left_behind.kill()
        unrelated.kill()

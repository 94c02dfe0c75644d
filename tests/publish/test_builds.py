"""The build's path is the same every run (dbt's parse carries over); who owns it is recorded,
a dbt left behind by a killed run is stopped before the next build starts, and a build made on
the state file itself changes the state only when it commits."""

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.config import DangolHome
from orchestration.dbt_process import WORKDIR_FLAG
from publish.builds import (
    RETIRED_RELATIONS,
    build_owned_by,
    commit_build,
    drop_retired_relations,
    record_dbt_process,
    start_build,
)
from publish.duckdb_files import connect_build
from tests.conftest import duckdb_resources


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


def state_header(home: DangolHome) -> bytes:
    """DuckDB's file header and its two database headers: a checkpoint rewrites one of them."""
    with home.state_db.open("rb") as file:
        return file.read(3 * 4096)


def test_a_build_on_the_state_changes_it_only_when_it_commits(tmp_path: Path):
    home = DangolHome(root=tmp_path, landing=tmp_path / "landing")
    home.state_db.parent.mkdir(parents=True)
    with duckdb.connect(str(home.state_db)) as con:
        # Past DuckDB's row group size, so the build writes whole row groups into the file.
        con.execute("create table orders as select range as order_id from range(500000)")
        con.execute("create table answers as select 42 as answer")
    header, resources = state_header(home), None
    start_build(home.state_db, home.build_db, "run-2")
    assert os.path.samefile(home.build_db, home.state_db)  # no copy of the state

    # Every kind of write a run makes, over two connections (the second replays the log).
    with connect_build(home.build_db, resources) as con:
        con.execute("create table lines as select range as line_id from range(1000000)")
        con.execute("delete from orders where order_id % 3 = 0")
        con.execute("update answers set answer = 43")
    with connect_build(home.build_db, resources) as con:
        con.execute("create or replace table answers as select 44 as answer")
        con.execute("insert into orders select range from range(1000)")

    assert state_header(home) == header
    with duckdb.connect(str(home.state_db), read_only=True) as con:
        assert con.execute("select count(*) from orders").fetchone() == (500000,)
        assert con.execute("select answer from answers").fetchone() == (42,)
        assert "lines" not in {row[0] for row in con.execute("show tables").fetchall()}
    # A killed run's build goes with the next start; the state is as the last commit left it.
    start_build(home.state_db, home.build_db, "run-3")
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        assert con.execute("select answer from answers").fetchone() == (42,)

    with connect_build(home.build_db, resources) as con:
        con.execute("update answers set answer = 45")
    commit_build(home.build_db, home.state_db, resources)

    assert not home.build_db.exists()
    assert not (home.build_dir / "pipeline.duckdb.wal").exists()
    with duckdb.connect(str(home.state_db), read_only=True) as con:
        assert con.execute("select answer from answers").fetchone() == (45,)


def test_a_first_build_is_a_file_of_its_own_that_checkpoints_as_usual(tmp_path: Path):
    home = DangolHome(root=tmp_path, landing=tmp_path / "landing")
    start_build(home.state_db, home.build_db, "run-1")
    with connect_build(home.build_db, None) as con:
        con.execute("create table answers as select 42 as answer")
    # Closed, it checkpointed: the next connection has no log to replay.
    assert not (home.build_dir / "pipeline.duckdb.wal").exists()

    commit_build(home.build_db, home.state_db, None)

    assert not home.build_db.exists()
    with duckdb.connect(str(home.state_db), read_only=True) as con:
        assert con.execute("select answer from answers").fetchone() == (42,)


def test_a_build_waits_for_a_reader_of_the_state_and_status_says_a_run_builds(tmp_path: Path):
    home = DangolHome(root=tmp_path, landing=tmp_path / "landing")
    published_state(home)
    start_build(home.state_db, home.build_db, "run-2")
    # `dangol status` in another process reads the state for a moment.
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True);"
            " print('reading', flush=True); time.sleep(0.5)",
            str(home.state_db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline() == "reading\n"

    with connect_build(home.build_db, None) as con:  # waits until the reader is done
        con.execute("update published set answer = 43")
        assert reader.poll() is not None
        # Now the run holds the file: a reader in another process is told so.
        asked = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from operations.status import"
                " StateInUse, source_freshness\ntry: source_freshness(Path(sys.argv[1]), {})\n"
                "except StateInUse as error: print(error)",
                str(home.state_db),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    assert asked.stdout == f"a run is building on {home.state_db}\n"


def test_a_rebuild_drops_what_models_the_project_no_longer_has_left(tmp_path: Path):
    home = DangolHome(root=tmp_path, landing=tmp_path / "landing")
    published_state(home)
    [retired] = RETIRED_RELATIONS
    schema = retired.split(".")[0]
    with duckdb.connect(str(home.state_db)) as con:
        con.execute(f"create schema {schema}")
        con.execute(f"create table {retired} as select 'o1-1' as order_line_id")
        con.execute(f"create table {schema}.int_orders_deduplicated as select 'o1' as order_id")
    start_build(home.state_db, home.build_db, "run-2")

    assert drop_retired_relations(home.build_db, duckdb_resources(tmp_path)) == [retired]
    assert drop_retired_relations(home.build_db, duckdb_resources(tmp_path)) == []
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    assert sorted(tables) == [("intermediate.int_orders_deduplicated",), ("main.published",)]

"""Old run files go; the current run's files and every kept release stay."""

import datetime as dt
import os
from pathlib import Path

from operations.housekeeping import remove_old_run_files
from operations.outcomes import disk_full_problem
from operations.status import disk_usage
from orchestration.config import DangolHome


def aged(path: Path, days: float, folder: bool = False) -> Path:
    if folder:
        path.mkdir(parents=True)
        (path / "run_results.json").write_text("{}")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_files_older_than_keep_days_are_removed_but_never_releases_or_the_current_run(
    tmp_path: Path,
):
    home = DangolHome(root=tmp_path, landing=tmp_path / "landing")
    old = [
        aged(home.build_dir / "old-run.duckdb", 20),
        aged(home.dbt_target("old-run"), 20, folder=True),
        aged(home.reports_dir / "quality" / "old-run", 20, folder=True),
        aged(home.logs_dir / "last_run.log", 20),
    ]
    kept = [
        aged(home.build_dir / "recent-run.duckdb", 2),
        aged(home.dbt_target("current-run"), 20, folder=True),
        aged(home.reports_dir / "quality" / "recent-run", 2, folder=True),
        aged(home.warehouse_dir / "releases" / "20250101T000000Z-old" / "dangol.duckdb", 400),
        aged(home.published_db, 400),
        aged(home.state_db, 400),
        aged(home.exports_dir / "20250101T000000Z-old" / "manifest.json", 400),
    ]

    spilled = aged(home.duckdb_spill_dir / "dbt" / "duckdb_temp_storage-0.tmp", 0)

    removed = remove_old_run_files(home, keep_days=14, current_run_id="current-run")

    # What DuckDB spilled (the build's pages) never outlives the run, however recent.
    assert not spilled.exists()
    old.append(home.duckdb_spill_dir)
    assert sorted(removed) == sorted(old)
    assert not any(path.exists() for path in old)
    assert all(path.exists() for path in kept)


def test_a_full_disk_is_one_line_naming_the_home(tmp_path: Path):
    dbt_error = "Runtime Error\n  IO Error: could not write file: No space left on device"

    line = disk_full_problem(dbt_error, tmp_path)

    assert line.startswith(f"the disk holding {tmp_path} is full (No space left on device)")
    assert "\n" not in line
    assert disk_full_problem("[Errno 28] writing the release", tmp_path) == line
    assert disk_full_problem("Binder Error: column not found", tmp_path) is None


def test_disk_usage_counts_a_file_releases_share_once(tmp_path: Path):
    first, second = tmp_path / "releases" / "first", tmp_path / "releases" / "second"
    first.mkdir(parents=True)
    second.mkdir()
    (first / "data_0.parquet").write_bytes(b"x" * 1000)
    os.link(first / "data_0.parquet", second / "data_0.parquet")  # a month both releases hold
    (second / "data_1.parquet").write_bytes(b"y" * 10)
    (tmp_path / "parquet").symlink_to(second)

    assert disk_usage(tmp_path) == 1010


def test_disk_usage_counts_a_build_on_the_state_once(tmp_path: Path):
    state, build = tmp_path / "state", tmp_path / "build"
    state.mkdir()
    build.mkdir()
    (state / "pipeline.duckdb").write_bytes(b"s" * 1000)
    os.link(state / "pipeline.duckdb", build / "pipeline.duckdb")  # a run builds on it
    (build / "pipeline.duckdb.wal").write_bytes(b"w" * 10)

    assert disk_usage(build, state) == 1010

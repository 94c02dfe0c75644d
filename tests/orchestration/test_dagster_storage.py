"""The Dagster home `dangol serve` writes: Dagster's SQLite files, through kept connections."""

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.dagster_storage import OPEN_FILES, PooledSqliteEventLogStorage
from orchestration.serve import prepare_dagster_home


@dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="loyal_customers")])
def loyal_customers():
    yield dg.Output(3)
    yield dg.AssetCheckResult(passed=True, check_name="has_rows")


def _instance(dagster_home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dagster_home)))


def _stock_instance(dagster_home: Path, tmp_path: Path) -> dg.DagsterInstance:
    """Dagster's own `storage: sqlite:` on the same folder."""
    stock_home = tmp_path / "stock"
    stock_home.mkdir()
    (stock_home / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {dagster_home / 'storage'}\n", "utf-8"
    )
    return _instance(stock_home)


def _materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([loyal_customers], instance=instance)
    assert result.success
    return result.run_id


def test_serve_home_stores_runs_that_dagsters_own_sqlite_storage_reads(tmp_path):
    dagster_home = tmp_path / "dagster"
    prepare_dagster_home(dagster_home)
    with _instance(dagster_home) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        run_id = _materialize(instance)
        written = [entry.dagster_event_type for entry in instance.all_logs(run_id)]

    with _stock_instance(dagster_home, tmp_path) as stock:
        assert type(stock.event_log_storage) is not PooledSqliteEventLogStorage
        assert [entry.dagster_event_type for entry in stock.all_logs(run_id)] == written
        materialization = stock.get_latest_materialization_event(dg.AssetKey("loyal_customers"))
        assert materialization is not None and materialization.run_id == run_id
        check = stock.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("loyal_customers"), "has_rows")]
        )
        assert check[dg.AssetCheckKey(dg.AssetKey("loyal_customers"), "has_rows")].run_id == run_id


def test_a_long_lived_process_keeps_only_the_newest_files_open(tmp_path):
    dagster_home = tmp_path / "dagster"
    prepare_dagster_home(dagster_home)
    with _instance(dagster_home) as instance:
        storage = instance.event_log_storage
        run_ids = [_materialize(instance) for _ in range(OPEN_FILES + 2)]
        assert len(storage._engines) <= OPEN_FILES
        assert run_ids[-1] in storage._engines and run_ids[0] not in storage._engines
        # A file whose connection was closed is opened again when read.
        assert any(entry.is_dagster_event for entry in instance.all_logs(run_ids[0]))


def test_wipe_closes_the_files_it_deletes_and_storage_goes_on(tmp_path):
    dagster_home = tmp_path / "dagster"
    prepare_dagster_home(dagster_home)
    with _instance(dagster_home) as instance:
        old_run = _materialize(instance)
        instance.event_log_storage.wipe()
        assert old_run not in instance.event_log_storage._engines  # the index file stays
        assert not instance.all_logs(old_run)
        new_run = _materialize(instance)
        assert instance.all_logs(new_run)


@pytest.mark.parametrize("key", ["module", "class"])
def test_the_written_dagster_yaml_names_this_storage(tmp_path, key):
    settings = prepare_dagster_home(tmp_path / "dagster").read_text("utf-8")
    expected = {"module": "orchestration.dagster_storage", "class": "DangolSqliteStorage"}[key]
    assert f"{key}: {expected}" in settings


def test_a_table_found_once_is_not_looked_for_again_until_a_wipe(tmp_path, monkeypatch):
    dagster_home = tmp_path / "dagster"
    prepare_dagster_home(dagster_home)
    with _instance(dagster_home) as instance:
        storage = instance.event_log_storage
        _materialize(instance)
        looked_up: list[str] = []
        dagsters_own = SqliteEventLogStorage.has_table

        def counted(self, table_name: str) -> bool:
            looked_up.append(table_name)
            return dagsters_own(self, table_name)

        monkeypatch.setattr(SqliteEventLogStorage, "has_table", counted)
        _materialize(instance)  # stores an asset check result: asks for its table
        assert storage.has_table("asset_check_executions")
        assert "asset_check_executions" not in looked_up  # found by the first run already

        assert not storage.has_table("no_such_table")
        assert not storage.has_table("no_such_table")
        assert looked_up.count("no_such_table") == 2  # not found: asked each time

        storage.wipe()
        assert storage.has_table("asset_check_executions")
        assert "asset_check_executions" in looked_up

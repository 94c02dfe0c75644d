"""Dagster's SQLite storage with one open connection per event-log file instead of one per event.

Dagster's SQLite event log opens a new SQLAlchemy engine and connection for every event it
stores, and a run stores about a thousand (a materialization, an output and an asset check per
dbt node, each mirrored into the index file). Each write here is still its own transaction.
`dangol serve` writes this storage into a new Dagster home's dagster.yaml:

    storage:
      custom:
        module: orchestration.dagster_storage
        class: DangolSqliteStorage
        config: {base_dir: <dagster home>/storage}

Files, tables and layout are Dagster's own (`storage: sqlite:` reads the same folder), so a home
can switch between the two at any time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# A run writes to its own file and to the index; a daemon that has launched runs for months
# keeps only the most recent files open.
OPEN_FILES = 8


def _durable_at_checkpoints(connection, _record) -> None:
    # SQLite's advice for WAL files (Dagster creates its files so; an older file is switched):
    # a commit is not fsynced on its own, the WAL is at each checkpoint. The file is never
    # corrupted; a power cut may lose the events of its last moments, whose run then shows as
    # failed anyway. 961 events of the demo run: 11.9 s in Dagster's storage, 4.2 s with the
    # connection kept, 2.5 s with this.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Keeps an engine (one pooled connection) per shard file, most recently used first."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        # Dagster asks before storing each asset check result and each tagged materialization
        # whether a table of the index file exists, each time through a new connection: ~250
        # times a run, 0.3 s of the demo run's process. A table once found stays until the
        # storage is wiped or upgraded; one not found is asked for again.
        if table_name not in self._tables_found and super().has_table(table_name):
            self._tables_found.add(table_name)
        return table_name in self._tables_found

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    pool_size=1,
                    max_overflow=4,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                event.listen(engine, "connect", _durable_at_checkpoints)
            self._engines[shard] = engine  # most recent last
            while len(self._engines) > OPEN_FILES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    def _forget_engines(self) -> None:
        with self._engines_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's: one transaction per call, under the storage's lock, a new file set up
        # on first use; only the engine outlives the call.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def wipe(self) -> None:
        self._forget_engines()  # the files go: no connection may keep a deleted one
        self._tables_found.clear()
        super().wipe()

    def upgrade(self) -> None:
        self._forget_engines()
        self._tables_found.clear()
        super().upgrade()

    def dispose(self) -> None:
        self._forget_engines()
        super().dispose()


class DangolSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite:` with the pooled event log; runs and schedules are Dagster's own."""

    def __init__(self, base_dir: str, inst_data=None):
        # Dagster's __init__ also makes its own event log, which holds nothing open; replacing it
        # keeps the rest of that set-up Dagster's instead of a copy of it here.
        super().__init__(base_dir, inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> DangolSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

"""What every stage that writes a DuckDB file needs: connections that keep to the run's memory
budget, durable writes, files that change in one rename, and string literals safely quoted for
the few SQL texts that cannot bind a value."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class DuckDBResources:
    """What DuckDB may use in one process of a run (dangol.yaml `duckdb:`, whose schema has the
    defaults): past `memory_limit` it spills to `temp_directory`, which is in the home's
    owner-only build folder because spilled pages hold personal data."""

    memory_limit: str
    threads: int
    temp_directory: Path

    def settings(self) -> dict[str, str]:
        return {
            "memory_limit": self.memory_limit,
            "threads": str(self.threads),
            "temp_directory": str(self.temp_directory),
        }


def connect(
    database: Path | str, resources: DuckDBResources | None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """The one way the pipeline opens DuckDB; `resources` None only outside a run (status,
    rollback), where DuckDB's own defaults serve a few small reads."""
    if resources is None:
        return duckdb.connect(str(database), read_only=read_only)
    make_spill_folder(resources.temp_directory)
    return duckdb.connect(str(database), read_only=read_only, config=resources.settings())


# A run builds on the state file itself (publish.builds.start_build links it, a copy took 6 s
# of each run at 10M order lines). DuckDB changes the blocks of a database file's last
# checkpoint only when it checkpoints again: until the run commits, every change it makes is
# in the build's write-ahead log (beside the build, never beside the state) and in blocks that
# checkpoint does not use, so a run that fails leaves the state as it was. Every connection
# that writes such a build must therefore hold back DuckDB's own checkpoints: the automatic
# one (past a WAL size; also its variant that skips the WAL) and the one as the database
# closes. A first run's build is a file of its own: it checkpoints as usual, since each new
# connection would replay the whole log (0.5 s a connection for a 1M-line export).
HOLD_CHECKPOINTS = (
    "set checkpoint_threshold = '1000TB'",
    f"set auto_checkpoint_skip_wal_threshold = {2**62}",
    "pragma disable_checkpoint_on_shutdown",
)
# A reader of the state (`dangol status`) holds its file lock for a moment; a build waits.
LOCK_RETRY_SECONDS = (0.1, 0.3, 1.0, 2.0, 4.0)


def builds_on_the_state(build_db: Path | str) -> bool:
    """True when the build is the state file under another name (a second hard link)."""
    try:
        return os.stat(build_db).st_nlink > 1
    except OSError:  # not made yet, or ":memory:"
        return False


def is_lock_conflict(error: duckdb.IOException) -> bool:
    """DuckDB could not lock the file: another process has it open for writing (or reading)."""
    return "lock" in str(error).lower()


def hold_checkpoints(con: duckdb.DuckDBPyConnection) -> None:
    """Before the first write: this database checkpoints only when told to (`checkpoint`)."""
    for statement in HOLD_CHECKPOINTS:
        con.execute(statement)


def connect_build(
    build_db: Path, resources: DuckDBResources | None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """The one way a run opens its build: writes stay out of the state until the commit."""
    for wait in (*LOCK_RETRY_SECONDS, None):
        try:
            con = connect(build_db, resources, read_only=read_only)
            break
        except duckdb.IOException as error:
            if wait is None or not is_lock_conflict(error):
                raise
            time.sleep(wait)
    if not read_only and builds_on_the_state(build_db):
        hold_checkpoints(con)
    return con


def make_spill_folder(folder: Path) -> None:
    """Owner-only, it and its parent: DuckDB would make only the last folder, as it spills."""
    for level in (folder.parent, folder):
        level.mkdir(mode=0o700, parents=True, exist_ok=True)


def fsync(path: Path) -> None:
    """Flush a file or a folder (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_by_link(source: Path, target: Path) -> None:
    """Make `target` another name of `source` (a hard link), replacing what `target` named in one
    rename: a reader that opened the old file keeps it."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    os.link(source, partial)
    os.replace(partial, target)
    fsync(target.parent)


def sql_string(value: str) -> str:
    """A SQL string literal, for paths in ATTACH / read_csv / COPY, which take no parameters."""
    return "'" + value.replace("'", "''") + "'"

"""The build warehouse's life: start from the last published state, commit only on publish.

A run builds on the state file itself, under the build's name (a hard link), and changes
what the state holds only when it commits: DuckDB writes a database's contents for good only
at a checkpoint, and the build's connections hold checkpoints back until then
(publish.duckdb_files.connect_build). So a run that fails or is killed leaves the state (and
with it the ingest ledger) exactly as the last good run left it: its files simply load again
next time.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from publish.duckdb_files import DuckDBResources, connect, connect_build, fsync


def checkpoint(db: Path, resources: DuckDBResources) -> None:
    """Fold any write-ahead log into the file, so the file alone is the whole database."""
    with connect_build(db, resources) as con:
        con.execute("checkpoint")


def replace_owner_only(source: Path, target: Path) -> None:
    """Move a finished file over `target` in one rename, readable by its owner only."""
    source.chmod(0o600)
    fsync(source)
    os.replace(source, target)


# Beside the build: the run that owns it, and the dbt process that works on it.
BUILD_OWNER = "run_id"
BUILD_DBT_PID = "dbt.pid"


def start_build(state_db: Path, build_db: Path, run_id: str) -> None:
    """A fresh build from the last published state; what earlier runs left behind goes."""
    build_db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    stop_left_behind_dbt(build_db)
    for leftover in build_db.parent.iterdir():
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)  # a killed run's spill folder
        else:
            leftover.unlink()
    if state_db.exists():
        # The state file itself under the build's name; its write-ahead log, which holds the
        # run's changes until the commit, is the build's (pipeline.duckdb.wal here), so it
        # went above with what a killed run left. Another file system: a copy.
        try:
            os.link(state_db, build_db)
        except OSError:
            shutil.copyfile(state_db, build_db)
        # The state and build hold contact points: owner-only, like the exports (and the
        # build folder is the owner's alone before the file exists).
        build_db.chmod(0o600)
    (build_db.parent / BUILD_OWNER).write_text(run_id, encoding="utf-8")


def build_owned_by(build_db: Path, run_id: str) -> bool:
    """True when this run started the build (a step run alone finds none, or another's)."""
    owner = build_db.parent / BUILD_OWNER
    return build_db.exists() and owner.exists() and owner.read_text(encoding="utf-8") == run_id


def record_dbt_process(build_db: Path, pid: int) -> None:
    (build_db.parent / BUILD_DBT_PID).write_text(str(pid), encoding="utf-8")


def stop_left_behind_dbt(build_db: Path, wait_seconds: float = 10.0) -> None:
    """A run killed by SIGKILL leaves its dbt subprocess running on the build path; it must not
    write a write-ahead log beside the next run's build, so it goes before that build starts."""
    try:
        pid = int((build_db.parent / BUILD_DBT_PID).read_text(encoding="utf-8"))
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return
    # dangol-dbt's command line names the build folder it works in; a reused pid does not.
    arguments = command.split(b"\0")
    named = [b"--dangol-workdir", os.fsencode(build_db.parent.resolve())]
    if not any(arguments[i : i + 2] == named for i in range(len(arguments) - 1)):
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait_seconds
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie holds no files any more


def commit_build(build_db: Path, state_db: Path, resources: DuckDBResources) -> None:
    """The published build becomes the state the next run starts from: built on the state
    file, in DuckDB's checkpoint (its header is written last, in one write); else (the first
    run, or a copy) in one rename."""
    checkpoint(build_db, resources)
    if state_db.exists() and os.path.samefile(build_db, state_db):
        build_db.unlink()
        return
    state_db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    replace_owner_only(build_db, state_db)
    fsync(state_db.parent)


class RunLocked(RuntimeError):
    """Another run (or a rollback) holds this home; the message says which process."""


@contextmanager
def run_lock(lock_file: Path) -> Iterator[None]:
    """One writer per home at a time: two runs would race for the build and the state.

    An OS lock, so a killed run (even SIGKILL) releases it with its process.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunLocked(
                f"another dangol run (pid {holder}) is using {lock_file.parent}; "
                "wait for it to finish and start again"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Incremental dbt models keep rows parsed by earlier runs. Those rows are only right while the
# SQL and the settings that parsed them (timezone, salt, ...) are the ones in force now.
HISTORY_TABLE = "meta.incremental_history"


def history_fingerprint(dbt_vars: dict[str, object], dbt_project_dir: Path) -> str:
    """What incremental rows depend on: every model and macro file, and the dbt settings."""
    digest = hashlib.sha256(json.dumps(dbt_vars, sort_keys=True, default=str).encode())
    for folder in ("models", "macros", "seeds"):
        for path in sorted((dbt_project_dir / folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(dbt_project_dir)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def needs_full_refresh(build_db: Path, fingerprint: str, resources: DuckDBResources) -> bool:
    """True unless the build's incremental rows were made by this very code and config."""
    with connect(build_db, resources, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'meta' and table_name = 'incremental_history'"
        ).fetchone()[0]
        if not exists:
            return True
        recorded = con.execute(f"select fingerprint from {HISTORY_TABLE}").fetchone()
    return recorded is None or recorded[0] != fingerprint


# Models the project no longer has. dbt never drops a relation it stopped building, so a rebuild
# for new code drops these from the build: a state would otherwise carry them for good
# (int_order_lines_latest, which fct_order_lines absorbed: ~0.3 GB of a 10M-line state).
RETIRED_RELATIONS = ("intermediate.int_order_lines_latest",)


def drop_retired_relations(build_db: Path, resources: DuckDBResources) -> list[str]:
    """Drop the retired models' tables or views the build still holds; the ones dropped."""
    dropped = []
    with connect_build(build_db, resources) as con:
        for name in RETIRED_RELATIONS:
            schema, table = name.split(".")
            kind = con.execute(
                "select table_type from information_schema.tables"
                " where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchone()
            if kind:
                # Names from the constant above, not from users.
                con.execute(f'drop {"view" if kind[0] == "VIEW" else "table"} "{schema}"."{table}"')
                dropped.append(name)
    return dropped


def record_history_fingerprint(
    build_db: Path, fingerprint: str, resources: DuckDBResources, run_id: str, rebuilt: bool
) -> None:
    """Called after a successful dbt build: the next run may then build incrementally.

    It also records after which ingest file this run parsed rows into the history (0 when it
    rebuilt it): the audit checks those staging rows, not the history earlier runs checked.
    """
    with connect_build(build_db, resources) as con:
        con.execute("create schema if not exists meta")
        con.execute(
            f"create or replace table {HISTORY_TABLE}"
            " (fingerprint varchar not null, parsed_after_file_seq bigint not null)"
        )
        con.execute(
            f"insert into {HISTORY_TABLE} select ?, case when ? then 0 else"
            " coalesce(max(ingest_file_seq) filter (where run_id <> ?), 0) end"
            " from raw.ingest_files",
            [fingerprint, rebuilt, run_id],
        )


def history_parsed_after(con: duckdb.DuckDBPyConnection) -> int:
    """The file after which the last dbt build parsed rows into the history; 0 (all of it)
    for a build that never recorded one."""
    recorded = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'meta'"
        " and table_name = 'incremental_history' and column_name = 'parsed_after_file_seq'"
    ).fetchone()[0]
    if not recorded:
        return 0
    row = con.execute(f"select parsed_after_file_seq from {HISTORY_TABLE}").fetchone()
    return row[0] if row else 0

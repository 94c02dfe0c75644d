"""Publish an audited build: BI tools see the previous release or this one, never a mix.

The marts are copied into a new DuckDB file beside the warehouse, checkpointed and fsynced,
then renamed over `dangol.duckdb` in one step. A reader that opened the old file keeps
reading it (POSIX keeps the inode alive), a new reader gets the new one, and the pipeline
never opens the published file for writing, so neither side ever waits on the other.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts",)
PUBLISHED_NAME = "dangol.duckdb"


@dataclass(frozen=True)
class Release:
    release_id: str
    path: Path
    published: Path
    table_rows: dict[str, int]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _write_release(build_db: Path, target: Path, release_id: str, run_id: str) -> dict[str, int]:
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach {_sql_string(str(build_db))} as build (read_only)")
        tables = con.execute(
            """
            select schema_name, table_name from duckdb_tables()
            where database_name = 'build' and list_contains(?, schema_name)
            order by schema_name, table_name
            """,
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        rows = {}
        for schema, table in tables:
            # Names come from the build's catalog, not from user input.
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" as from build."{schema}"."{table}"')
            rows[f"{schema}.{table}"] = con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
        con.execute("detach build")
        con.execute("create schema meta")
        con.execute(
            "create table meta.release as select ? as release_id, ? as run_id, ? as published_at",
            [release_id, run_id, datetime.now(UTC)],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    _fsync(target)
    return rows


def _place(source: Path, target: Path) -> None:
    """Copy `source` to `target` so that `target` changes in one rename."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    _fsync(partial)
    os.replace(partial, target)
    _fsync(target.parent)


def publish_release(
    build_db: Path, warehouse_dir: Path, run_id: str, keep_releases: int = 5
) -> Release:
    releases = warehouse_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    release_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}"
    release = releases / f"{release_id}.duckdb"
    partial = releases / f".{release_id}.duckdb.partial"
    partial.unlink(missing_ok=True)
    table_rows = _write_release(build_db, partial, release_id, run_id)
    os.replace(partial, release)
    published = warehouse_dir / PUBLISHED_NAME
    _place(release, published)
    prune_releases(releases, keep_releases)
    return Release(release_id=release_id, path=release, published=published, table_rows=table_rows)


def prune_releases(releases: Path, keep: int) -> list[Path]:
    # Release ids start with a UTC timestamp, so name order is age order.
    kept = sorted(releases.glob("*.duckdb"))
    removed = kept[:-keep] if len(kept) > keep else []
    for old in removed:
        old.unlink()
    return removed

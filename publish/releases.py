"""Publish an audited build: BI tools see the previous release or this one, never a mix.

A release is a folder `warehouse/releases/<release id>/` holding `dangol.duckdb` (the marts)
and `parquet/` (the same tables for tools that cannot read DuckDB). It is written under a
hidden name, fsynced and renamed into place; then its DuckDB file is copied beside the
warehouse and renamed over `dangol.duckdb`, and the `parquet` link is swapped, each in one
step. A reader that opened the old file keeps reading it (POSIX keeps the inode alive), a new
reader gets the new one, and the pipeline never opens the published file for writing, so
neither side ever waits on the other.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from publish.builds import replace_owner_only
from publish.duckdb_files import DuckDBResources, connect, fsync, replace_by_copy, sql_string

PUBLISHED_SCHEMAS = ("marts",)
RESTRICTED_SCHEMAS = ("restricted",)
PUBLISHED_NAME = "dangol.duckdb"
PARQUET_LINK = "parquet"


class ReleaseError(Exception):
    """A release the user asked for does not exist, or there is none to go back to."""


@dataclass(frozen=True)
class Release:
    release_id: str
    folder: Path
    published: Path
    fingerprint: str
    table_rows: dict[str, int] = field(default_factory=dict)
    unchanged: bool = False


def _tables(con: duckdb.DuckDBPyConnection, database: str, schemas: tuple[str, ...]):
    return con.execute(
        """
        select schema_name, table_name from duckdb_tables()
        where database_name = ? and list_contains(?, schema_name)
        order by schema_name, table_name
        """,
        [database, list(schemas)],
    ).fetchall()


def marts_fingerprint(
    db: Path,
    resources: DuckDBResources,
    database_schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
) -> str:
    """Content hash of the published tables: equal for equal data, whatever the row order."""
    digest = hashlib.sha256()
    with connect(db, resources, read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        for schema, table in _tables(con, catalog, database_schemas):
            # Names come from the catalog, not from user input.
            rows, content = con.execute(
                f'select count(*), coalesce(sum(hash(t)::hugeint), 0) from "{schema}"."{table}" t'
            ).fetchone()
            columns = con.execute(
                "select string_agg(column_name || ' ' || data_type, ', ' order by column_index)"
                " from duckdb_columns() where schema_name = ? and table_name = ?",
                [schema, table],
            ).fetchone()[0]
            digest.update(f"{schema}.{table}({columns}):{rows}:{content}\n".encode())
    return digest.hexdigest()


def copy_schemas(
    source_db: Path,
    target: Path,
    schemas: tuple[str, ...],
    resources: DuckDBResources,
    storage_version: str | None = None,
    extra_sql: Callable[[duckdb.DuckDBPyConnection, dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Copy whole schemas of `source_db` into a new DuckDB file, checkpointed and fsynced.

    `storage_version` writes the file so older DuckDB releases (BI tools bundle their own)
    can open it; `extra_sql` runs in the new file before it is closed.
    """
    rows = {}
    options = f" (storage_version {sql_string(storage_version)})" if storage_version else ""
    with connect(":memory:", resources) as con:
        con.execute(f"attach {sql_string(str(target))} as target{options}")
        con.execute(f"attach {sql_string(str(source_db))} as source (read_only)")
        con.execute("use target")
        for schema, table in _tables(con, "source", schemas):
            # Names come from the build's catalog, not from user input.
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" as from source."{schema}"."{table}"')
            rows[f"{schema}.{table}"] = con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
        con.execute("detach source")
        if extra_sql:
            extra_sql(con, rows)
        con.execute("checkpoint")
    fsync(target)
    return rows


def publish_contacts(
    build_db: Path, restricted_db: Path, resources: DuckDBResources
) -> dict[str, int]:
    """Contact points leave the build only into their own owner-only file, for the exports;
    replaced in one rename, like a release."""
    staged = restricted_db.with_name(f".{restricted_db.stem}.staged.duckdb")
    staged.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged.unlink(missing_ok=True)
    rows = copy_schemas(build_db, staged, RESTRICTED_SCHEMAS, resources)
    replace_owner_only(staged, restricted_db)
    return rows


def _write_release(
    build_db: Path,
    folder: Path,
    release_id: str,
    run_id: str,
    fingerprint: str,
    storage_version: str,
    resources: DuckDBResources,
) -> dict[str, int]:
    folder.mkdir(parents=True)
    parquet = folder / PARQUET_LINK
    parquet.mkdir()

    def describe_and_snapshot(con: duckdb.DuckDBPyConnection, table_rows: dict[str, int]):
        con.execute("create schema meta")
        con.execute(
            "create table meta.release as select ? as release_id, ? as run_id,"
            " ? as published_at, ? as fingerprint",
            [release_id, run_id, datetime.now(UTC), fingerprint],
        )
        for name in table_rows:
            target = sql_string(str(parquet / f"{name}.parquet"))
            con.execute(f"copy {name} to {target} (format parquet)")

    db = folder / PUBLISHED_NAME
    table_rows = copy_schemas(
        build_db, db, PUBLISHED_SCHEMAS, resources, storage_version, describe_and_snapshot
    )
    for written in [*parquet.iterdir(), parquet, folder]:
        fsync(written)
    return table_rows


def _point_parquet_link(warehouse_dir: Path, release_folder: Path) -> None:
    link = warehouse_dir / PARQUET_LINK
    partial = warehouse_dir / f".{PARQUET_LINK}.partial"
    partial.unlink(missing_ok=True)
    partial.symlink_to(release_folder.relative_to(warehouse_dir) / PARQUET_LINK)
    os.replace(partial, link)


def published_release_id(warehouse_dir: Path) -> tuple[str, str] | None:
    """(release id, fingerprint) of what BI tools see now, or None before the first release."""
    published = warehouse_dir / PUBLISHED_NAME
    if not published.exists():
        return None
    # One row, read by runs and by `dangol status` and rollback alike: DuckDB's defaults do.
    with connect(published, None, read_only=True) as con:
        return con.execute("select release_id, fingerprint from meta.release").fetchone()


def list_releases(warehouse_dir: Path) -> list[str]:
    # Release ids start with a UTC timestamp, so name order is age order.
    releases = warehouse_dir / "releases"
    if not releases.is_dir():
        return []
    return sorted(p.name for p in releases.iterdir() if p.is_dir() and not p.name.startswith("."))


def publish_release(
    build_db: Path,
    warehouse_dir: Path,
    run_id: str,
    keep_releases: int,
    storage_version: str,
    resources: DuckDBResources,
    before_activation: Callable[[], None] | None = None,
) -> Release:
    fingerprint = marts_fingerprint(build_db, resources)
    current = published_release_id(warehouse_dir)
    if current and current[1] == fingerprint:
        # Same data as what BI tools already read: publishing again would change nothing.
        release_id = current[0]
        return Release(
            release_id=release_id,
            folder=warehouse_dir / "releases" / release_id,
            published=warehouse_dir / PUBLISHED_NAME,
            fingerprint=fingerprint,
            unchanged=True,
        )
    releases = warehouse_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    release_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}"
    partial = releases / f".{release_id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    table_rows = _write_release(
        build_db, partial, release_id, run_id, fingerprint, storage_version, resources
    )
    folder = releases / release_id
    os.replace(partial, folder)
    fsync(releases)
    if before_activation:
        before_activation()
    activate_release(warehouse_dir, release_id)
    prune_releases(warehouse_dir, keep_releases)
    return Release(
        release_id=release_id,
        folder=folder,
        published=warehouse_dir / PUBLISHED_NAME,
        fingerprint=fingerprint,
        table_rows=table_rows,
    )


def activate_release(warehouse_dir: Path, release_id: str) -> None:
    """Make a kept release the one BI tools read: the DuckDB file, then the Parquet link."""
    folder = warehouse_dir / "releases" / release_id
    if not (folder / PUBLISHED_NAME).exists():
        kept = ", ".join(list_releases(warehouse_dir)) or "none"
        raise ReleaseError(f"no release {release_id!r} in {folder.parent} (kept: {kept})")
    replace_by_copy(folder / PUBLISHED_NAME, warehouse_dir / PUBLISHED_NAME)
    _point_parquet_link(warehouse_dir, folder)


def rollback(warehouse_dir: Path, release_id: str | None = None) -> str:
    """Restore `release_id`, or the release before the one published now; returns its id."""
    if release_id is None:
        releases = list_releases(warehouse_dir)
        current = published_release_id(warehouse_dir)
        earlier = [r for r in releases if current is None or r < current[0]]
        if not earlier:
            raise ReleaseError(
                f"no release older than {current[0] if current else 'none'} is kept in"
                f" {warehouse_dir / 'releases'}; name one with `dangol rollback RELEASE`"
            )
        release_id = earlier[-1]
    activate_release(warehouse_dir, release_id)
    return release_id


def prune_releases(warehouse_dir: Path, keep: int) -> list[str]:
    current = published_release_id(warehouse_dir)
    releases = list_releases(warehouse_dir)
    removed = [r for r in releases[:-keep] if not current or r != current[0]] if keep else []
    for release_id in removed:
        shutil.rmtree(warehouse_dir / "releases" / release_id)
    return removed

"""Publish an audited build: BI tools see the previous release or this one, never a mix.

A release is a folder `warehouse/releases/<release id>/` holding `dangol.duckdb` (the marts)
and `parquet/` (the same tables for tools that cannot read DuckDB: a file per table, and a
folder of monthly files per big fact table; left out with publish.parquet_snapshot off). It
is written under a hidden name, fsynced and renamed into place; then `dangol.duckdb` beside the
warehouse is made another name of its DuckDB file (a hard link, renamed over the old one), and
the `parquet` link is swapped, each in one step. A reader that opened the old file keeps reading
it (POSIX keeps the inode alive), a new reader gets the new one, and the pipeline never opens
the published file for writing, so neither side ever waits on the other.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import duckdb

from publish.builds import replace_owner_only
from publish.duckdb_files import DuckDBResources, connect, fsync, replace_by_link, sql_string

PUBLISHED_SCHEMAS = ("marts",)
RESTRICTED_SCHEMAS = ("restricted",)
PUBLISHED_NAME = "dangol.duckdb"
# What a release's DuckDB file was when it was written: its size and modification time.
STAMP_NAME = "dangol.duckdb.stamp"
PARQUET_LINK = "parquet"


class ReleaseError(Exception):
    """A release the user asked for does not exist, or there is none to go back to."""


@dataclass(frozen=True)
class Release:
    release_id: str
    folder: Path
    published: Path
    fingerprint: str
    contents: dict[str, TableContent] = field(default_factory=dict)
    table_writes: dict[str, TableWrite] = field(default_factory=dict)
    unchanged: bool = False

    @property
    def table_rows(self) -> dict[str, int]:
        return {name: content.rows for name, content in self.contents.items()}


def _tables(con: duckdb.DuckDBPyConnection, database: str, schemas: tuple[str, ...]):
    return con.execute(
        """
        select schema_name, table_name from duckdb_tables()
        where database_name = ? and list_contains(?, schema_name)
        order by schema_name, table_name
        """,
        [database, list(schemas)],
    ).fetchall()


# The big facts are published by month of their business date: a daily run changes the latest
# month or two of them, so a release replaces those months alone, in its DuckDB file and in its
# Parquet snapshot, where each is a folder of monthly files that tools read as one
# Hive-partitioned dataset (`<table>/ordered_month=2026-11/data_0.parquet`). At 10M order lines
# this turned 10 s of a daily publish (patching and rewriting whole tables) into under 1 s.
MONTHLY_TABLES = {
    "marts.fct_order_lines": ("ordered_date", "ordered_month"),
    "marts.fct_orders": ("ordered_date", "ordered_month"),
    "marts.fct_purchase_days": ("purchase_date", "purchase_month"),
}
NO_DATE_MONTH = "unknown"  # the month of a row without a date


def _month_name(date_sql: str) -> str:
    """SQL naming the month of a date as partition folders and release_months name it."""
    return f"coalesce(strftime({date_sql}, '%Y-%m'), '{NO_DATE_MONTH}')"


def _month_of(name: str) -> str:
    """SQL for the month a row of a monthly table belongs to, as its partition folder names it."""
    date_column, _ = MONTHLY_TABLES[name]
    return _month_name(f'"{date_column}"')


def _in_months(name: str, months: set[str]) -> str:
    """SQL true for the rows of a monthly table in `months`: date ranges, not _month_of, so that
    DuckDB skips the row groups whose dates lie outside (a daily run's months: 1 s -> 0.1 s)."""
    date_column, _ = MONTHLY_TABLES[name]
    ranges = [
        f'("{date_column}" >= date {sql_string(month + "-01")}'
        f' and "{date_column}" < date {sql_string(month + "-01")} + interval 1 month)'
        for month in sorted(months - {NO_DATE_MONTH})
    ]
    if NO_DATE_MONTH in months:
        ranges.append(f'"{date_column}" is null')
    return "(" + (" or ".join(ranges) or "false") + ")"


@dataclass(frozen=True)
class MonthContent:
    month: str
    rows: int
    content: int


@dataclass(frozen=True)
class TableContent:
    """What a table holds, told apart without comparing rows: equal for equal rows in any order."""

    columns: str
    rows: int
    content: int  # the sum of the rows' hashes
    months: tuple[MonthContent, ...] = ()  # the same, month by month, for a monthly table

    def fingerprint_line(self, name: str) -> str:
        return f"{name}({self.columns}):{self.rows}:{self.content}\n"

    def months_unlike(self, other: TableContent) -> set[str]:
        """The months whose rows differ between the two (on either side)."""
        return {month.month for month in set(self.months) ^ set(other.months)}


def table_content(
    con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str
) -> TableContent:
    name = f"{schema}.{table}"
    qualified = f'"{database}"."{schema}"."{table}"'  # names from the catalog, not from users
    # One pass: a monthly table's sums come month by month, and add up to the table's. Rows are
    # grouped by their month's first day and only the groups get their name (formatting every
    # row's date as text cost about a second of a daily publish at 10M order lines).
    if name in MONTHLY_TABLES:
        date_column, _ = MONTHLY_TABLES[name]
        month_start = f"date_trunc('month', \"{date_column}\")"
        month = _month_name("month_start")
    else:
        month_start, month = "null", "''"
    months = con.execute(
        f"select {month} as month, rows, content from ("
        f" select {month_start} as month_start, count(*) as rows,"
        f" coalesce(sum(hash(t)::hugeint), 0) as content"
        f" from {qualified} t group by month_start"
        f") order by month"
    ).fetchall()
    columns = con.execute(
        "select string_agg(column_name || ' ' || data_type, ', ' order by column_index)"
        " from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ?",
        [database, schema, table],
    ).fetchone()[0]
    return TableContent(
        columns,
        rows=sum(rows for _, rows, _ in months),
        content=sum(int(content) for *_, content in months),
        months=tuple(MonthContent(month, rows, int(content)) for month, rows, content in months)
        if name in MONTHLY_TABLES
        else (),
    )


def table_contents(
    con: duckdb.DuckDBPyConnection, database: str, schemas: tuple[str, ...]
) -> dict[str, TableContent]:
    return {
        f"{schema}.{table}": table_content(con, database, schema, table)
        for schema, table in _tables(con, database, schemas)
    }


def fingerprint(contents: dict[str, TableContent]) -> str:
    digest = hashlib.sha256()
    for name, content in contents.items():
        digest.update(content.fingerprint_line(name).encode())
    return digest.hexdigest()


def marts_contents(db: Path, resources: DuckDBResources) -> dict[str, TableContent]:
    """What each published table of a DuckDB file holds."""
    with connect(db, resources, read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        return table_contents(con, catalog, PUBLISHED_SCHEMAS)


def marts_fingerprint(db: Path, resources: DuckDBResources) -> str:
    """Content hash of the published tables: equal for equal data, whatever the row order."""
    return fingerprint(marts_contents(db, resources))


def copy_schemas(
    source_db: Path, target: Path, schemas: tuple[str, ...], resources: DuckDBResources
) -> dict[str, int]:
    """Copy whole schemas of `source_db` into a new DuckDB file, checkpointed and fsynced."""
    rows = {}
    with connect(":memory:", resources) as con:
        con.execute(f"attach {sql_string(str(target))} as target")
        con.execute(f"attach {sql_string(str(source_db))} as source (read_only)")
        con.execute("use target")
        for schema, table in _tables(con, "source", schemas):
            # Names come from the build's catalog, not from user input.
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" as from source."{schema}"."{table}"')
            rows[f"{schema}.{table}"] = con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
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


# A daily run changes a sliver of the big facts: a table whose rows changed by at most this share
# is patched, row by row, in a copy of the release BI tools read now (at 10M order lines, 4.5 s
# instead of 9.5 s for order lines); more, and it is written whole.
PATCH_MAX_CHANGED_SHARE = 0.1
# DuckDB reuses the blocks a patch frees, but a file patched release after release still carries
# its past: every so many releases, one is written whole from the build.
RELEASES_BETWEEN_WHOLE_WRITES = 30


class TableWrite(StrEnum):
    """How a release came by a table."""

    KEPT = "kept"  # the same rows as the release it started from: file blocks and Parquet reused
    PATCHED = "patched"  # the rows that changed deleted and inserted
    WRITTEN = "written"  # copied whole from the build


@dataclass(frozen=True)
class _PatchBase:
    """The release a new one starts from: its file, its Parquet snapshot, what its tables hold."""

    db: Path
    parquet: Path
    contents: dict[str, TableContent]
    patched_releases: int


def _patch_base(warehouse_dir: Path, storage_version: str) -> _PatchBase | None:
    """The release BI tools read now, when a new one may start from a copy of it: written in the
    storage version asked for, and describing its tables (releases before this one do not)."""
    current = published_release_id(warehouse_dir)
    if current is None:
        return None
    folder = warehouse_dir / "releases" / current[0]
    if not (folder / PUBLISHED_NAME).exists():
        return None
    # BI tools open this very file (the published name links to it), read-only to them; one
    # that could write to it anyway (run as root) leaves it unlike what meta.release_tables
    # says, and a release patched from it would carry that. So a release starts from its base
    # only when the file is as it was written (releases from before stamps have none).
    stamp = folder / STAMP_NAME
    if not stamp.exists() or stamp.read_text() != _file_stamp(folder / PUBLISHED_NAME):
        return None
    with connect(folder / PUBLISHED_NAME, None, read_only=True) as con:
        described = con.execute(
            "select count(*) from duckdb_columns() where schema_name = 'meta'"
            " and table_name = 'release' and column_name = 'patched_releases'"
        ).fetchone()[0]
        if not described:
            return None
        version, patched = con.execute(
            "select storage_version, patched_releases from meta.release"
        ).fetchone()
        tables = con.execute(
            "select table_name, columns, row_count, content_hash from meta.release_tables"
        ).fetchall()
        months: dict[str, list[MonthContent]] = {}
        # Releases before monthly tables have none: their big facts are written whole once.
        if con.execute(
            "select count(*) from duckdb_tables()"
            " where schema_name = 'meta' and table_name = 'release_months'"
        ).fetchone()[0]:
            for name, month, rows, content in con.execute(
                "select table_name, month, row_count, content_hash from meta.release_months"
                " order by table_name, month"
            ).fetchall():
                months.setdefault(name, []).append(MonthContent(month, rows, int(content)))
    if version != storage_version or patched + 1 >= RELEASES_BETWEEN_WHOLE_WRITES:
        return None
    contents = {
        name: TableContent(columns, rows, int(content), tuple(months.get(name, ())))
        for name, columns, rows, content in tables
    }
    return _PatchBase(folder / PUBLISHED_NAME, folder / PARQUET_LINK, contents, patched)


def _file_stamp(db: Path) -> str:
    stat = db.stat()
    return f"{stat.st_size} {stat.st_mtime_ns}"


def _quoted(name: str) -> str:
    """schema.table as quoted identifiers (names come from the build's catalog, not from users)."""
    schema, table = name.split(".")
    return f'"{schema}"."{table}"'


def _patch_table(
    con: duckdb.DuckDBPyConnection, name: str, kept: TableContent, content: TableContent
) -> bool:
    """Bring target's table, which holds `kept`, to the build's rows (`content`) by deleting
    and inserting only the rows that differ; False (the table untouched, to be written whole)
    when too many differ or the patch would not leave exactly the build's rows (a table with a
    row twice, say)."""
    target, source = f"target.{_quoted(name)}", f"source.{_quoted(name)}"
    most = int(PATCH_MAX_CHANGED_SHARE * content.rows)
    # A row is known by the hash of all its columns: each side hashed once, no key needed, and
    # one full join on the hashes finds the rows on one side only (gone, or arriving).
    con.execute(
        f"""
        create or replace temp table differing as
        select
            target_rows.row_id as gone_id,
            source_rows.row_id as arriving_id,
            coalesce(target_rows.row_hash, source_rows.row_hash) as row_hash
        from (select rowid as row_id, hash(t) as row_hash from {target} t) as target_rows
        full join (select rowid as row_id, hash(s) as row_hash from {source} s) as source_rows
            using (row_hash)
        where target_rows.row_id is null or source_rows.row_id is null
        limit {most + 1}
        """
    )
    gone, gone_hashes, arriving, arriving_hashes = con.execute(
        "select count(gone_id), coalesce(sum(row_hash::hugeint) filter (gone_id is not null), 0),"
        " count(arriving_id),"
        " coalesce(sum(row_hash::hugeint) filter (arriving_id is not null), 0)"
        " from differing"
    ).fetchone()
    # What the table would hold after the patch, told before touching it: row hashes that tie
    # (a row twice on one side) leave it unlike the build's, and the table is written whole.
    after = (kept.rows - gone + arriving, kept.content - int(gone_hashes) + int(arriving_hashes))
    fits = gone + arriving <= most and after == (content.rows, content.content)
    if fits:
        con.execute(f"delete from {target} where rowid in (select gone_id from differing)")
        con.execute(
            f"insert into {target} from {source} where rowid in (select arriving_id from differing)"
        )
    con.execute("drop table differing")
    return fits


def _write_whole(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Copy the build's table whole into the target, over the one the base release had."""
    con.execute(f'create schema if not exists "{name.split(".")[0]}"')
    con.execute(f"create or replace table {_quoted(name)} as from source.{_quoted(name)}")


def _monthly_snapshot(
    con: duckdb.DuckDBPyConnection, name: str, folder: Path, months: set[str] | None = None
) -> None:
    """Write the target's rows of `months` (all when None) into `folder`, a file per month in a
    Hive partition folder (`ordered_month=2026-11/`) that must not exist yet."""
    _, partition = MONTHLY_TABLES[name]
    month = _month_of(name)
    wanted = "" if months is None else f" where {_in_months(name, months)}"
    con.execute(
        f'copy (select *, {month} as "{partition}" from {_quoted(name)}{wanted})'
        f" to {sql_string(str(folder))}"
        f" (format parquet, partition_by (\"{partition}\"), filename_pattern 'data_{{i}}')"
    )
    folder.mkdir(exist_ok=True)  # a table without rows: an empty dataset


def _write_monthly_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    kept: TableContent | None,
    content: TableContent,
    kept_snapshot: Path | None,
    snapshot: Path | None,
) -> TableWrite:
    """Bring a monthly table to the build's rows by replacing the months that changed, in the
    DuckDB file and in the Parquet folder (None: no Parquet snapshot), whose other months are
    linked from the release it started from; written whole when its columns changed, too much
    changed, or the release it started from did not keep it by month (or as Parquet, when
    this one is to have Parquet)."""
    _, partition = MONTHLY_TABLES[name]
    changed = content.months_unlike(kept) if kept else set()
    unchanged = {month.month for month in content.months} - changed
    by_month = kept is not None and (bool(kept.months) or kept.rows == 0)
    patchable = (
        by_month
        and kept.columns == content.columns
        and sum(month.rows for month in content.months if month.month in changed)
        <= PATCH_MAX_CHANGED_SHARE * content.rows
        and (
            snapshot is None
            or all((kept_snapshot / f"{partition}={month}").is_dir() for month in unchanged)
        )
    )
    if not patchable:
        _write_whole(con, name)
        if snapshot:
            _monthly_snapshot(con, name, snapshot)
        return TableWrite.WRITTEN
    if changed:
        changed_rows = _in_months(name, changed)
        con.execute(f"delete from {_quoted(name)} where {changed_rows}")
        con.execute(f"insert into {_quoted(name)} from source.{_quoted(name)} where {changed_rows}")
        if snapshot:
            _monthly_snapshot(con, name, snapshot, changed)
    if snapshot is None:
        return TableWrite.PATCHED if changed else TableWrite.KEPT
    snapshot.mkdir(exist_ok=True)
    for month in unchanged:
        (snapshot / f"{partition}={month}").mkdir()
        for part in (kept_snapshot / f"{partition}={month}").iterdir():
            os.link(part, snapshot / f"{partition}={month}" / part.name)
    return TableWrite.PATCHED if changed else TableWrite.KEPT


def _write_release(
    build_db: Path,
    folder: Path,
    release: Release,
    run_id: str,
    storage_version: str,
    resources: DuckDBResources,
    base: _PatchBase | None,
    parquet_snapshot: bool,
) -> dict[str, TableWrite]:
    folder.mkdir(parents=True, exist_ok=True)  # holding the base's copy when there is a base
    parquet = folder / PARQUET_LINK
    if parquet_snapshot:
        parquet.mkdir()
    db = folder / PUBLISHED_NAME
    kept = base.contents if base else {}
    writes = {}
    with connect(":memory:", resources) as con:
        # A release's rows have no order: without keeping it, DuckDB copies tables and writes
        # Parquet in parallel (fct_order_lines' snapshot at 10M lines: 5 s -> 4 s).
        con.execute("set preserve_insertion_order = false")
        # A monthly table's Parquet is written by DuckDB's partitioned writer, which by default
        # buffers half a million rows per month before writing: at 10M order lines that filled
        # the whole memory budget (2.5 GiB). Flushing every 20,000 rows: 1.1 GiB, and no slower
        # (6-9 s -> 6 s for fct_order_lines' 35 months).
        con.execute("set partitioned_write_flush_threshold = 20000")
        # The storage version is the base's already (_patch_base); a new file is given it.
        options = "" if base else f" (storage_version {sql_string(storage_version)})"
        con.execute(f"attach {sql_string(str(db))} as target{options}")
        con.execute(f"attach {sql_string(str(build_db))} as source (read_only)")
        con.execute("use target")
        for name in kept.keys() - release.contents.keys():
            con.execute(f"drop table {_quoted(name)}")
        for name, content in release.contents.items():
            if name in MONTHLY_TABLES:
                kept_snapshot = base.parquet / name if base else None
                writes[name] = _write_monthly_table(
                    con,
                    name,
                    kept.get(name),
                    content,
                    kept_snapshot,
                    parquet / name if parquet_snapshot else None,
                )
                continue
            snapshot = parquet / f"{name}.parquet" if parquet_snapshot else None
            # The base's rows are in the base's copied file; its Parquet file, when one is
            # wanted, is shared.
            if kept.get(name) == content and (
                snapshot is None or (base.parquet / snapshot.name).exists()
            ):
                if snapshot:
                    os.link(base.parquet / snapshot.name, snapshot)
                writes[name] = TableWrite.KEPT
                continue
            same_columns = name in kept and kept[name].columns == content.columns
            if same_columns and _patch_table(con, name, kept[name], content):
                writes[name] = TableWrite.PATCHED
            else:
                _write_whole(con, name)
                writes[name] = TableWrite.WRITTEN
            if snapshot:
                con.execute(f"copy {_quoted(name)} to {sql_string(str(snapshot))} (format parquet)")
        patched = base.patched_releases + 1 if base else 0
        con.execute("create schema if not exists meta")
        con.execute(
            "create or replace table meta.release as select ? as release_id, ? as run_id,"
            " ? as published_at, ? as fingerprint, ? as storage_version,"
            " ? as patched_releases",
            [release.release_id, run_id, datetime.now(UTC), release.fingerprint,
             storage_version, patched],
        )  # fmt: skip
        con.execute(
            "create or replace table meta.release_tables (table_name varchar, columns varchar,"
            " row_count bigint, content_hash varchar, written varchar)"
        )
        con.executemany(
            "insert into meta.release_tables values (?, ?, ?, ?, ?)",
            [
                [name, c.columns, c.rows, str(c.content), writes[name].value]
                for name, c in release.contents.items()
            ],
        )
        con.execute(
            "create or replace table meta.release_months (table_name varchar, month varchar,"
            " row_count bigint, content_hash varchar)"
        )
        months = [
            [name, month.month, month.rows, str(month.content)]
            for name, c in release.contents.items()
            for month in c.months
        ]
        if months:
            con.executemany("insert into meta.release_months values (?, ?, ?, ?)", months)
        con.execute("checkpoint")
    # Read-only: the next release starts from this file and shares these Parquet files, trusting
    # meta.release_tables to say what they hold; a tool must not write to them.
    snapshots = list(parquet.rglob("*"))  # files, and a monthly table's folders (or none)
    stamp = folder / STAMP_NAME
    stamp.write_text(_file_stamp(db))
    files = [db, stamp, *(path for path in snapshots if path.is_file())]
    for snapshot in files:
        snapshot.chmod(0o444)
    for written in [*snapshots, db, stamp, *([parquet] if parquet_snapshot else []), folder]:
        fsync(written)
    return writes


def _point_parquet_link(warehouse_dir: Path, release_folder: Path) -> None:
    """The `parquet` link names the release's snapshot; a release without one (written with
    publish.parquet_snapshot off) leaves no link, so that no tool reads an older release's."""
    link = warehouse_dir / PARQUET_LINK
    if not (release_folder / PARQUET_LINK).is_dir():
        link.unlink(missing_ok=True)
        return
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
    parquet_snapshot: bool,
    resources: DuckDBResources,
    before_activation: Callable[[], None] | None = None,
) -> Release:
    """Write the build's marts as a new release and make it the one BI tools read; with
    `parquet_snapshot` off (publish.parquet_snapshot), the release has no Parquet copy of them
    (at 10M order lines, 10-14 s of a first release's 26-30 s; 1-2 s of a daily one's 4-5 s)."""
    releases = warehouse_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    release_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}"
    partial = releases / f".{release_id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    current = published_release_id(warehouse_dir)
    base = _patch_base(warehouse_dir, storage_version)
    try:
        # The copy of the release a new one patches is disk writes, the build's hashes are CPU,
        # so they go side by side: at 10M order lines the copy of 830 MB took 2-3.5 s of a
        # daily publish, the hashes 1.6-1.9 s (the publish replayed: 9.1/8.0 -> 7.0/7.9 s).
        # When nothing changed the copy is thrown away.
        with ThreadPoolExecutor(max_workers=1) as copier:
            base_copied = copier.submit(_copy_base, base, partial) if base else None
            contents = marts_contents(build_db, resources)
            if base_copied:
                base_copied.result()
        content_fingerprint = fingerprint(contents)
        has_parquet = bool(current) and (releases / current[0] / PARQUET_LINK).is_dir()
        if current and current[1] == content_fingerprint and has_parquet == parquet_snapshot:
            # Same data as what BI tools already read: publishing again would change nothing.
            shutil.rmtree(partial, ignore_errors=True)
            return Release(
                release_id=current[0],
                folder=releases / current[0],
                published=warehouse_dir / PUBLISHED_NAME,
                fingerprint=current[1],
                contents=contents,
                unchanged=True,
            )
        release = Release(
            release_id=release_id,
            folder=releases / release_id,
            published=warehouse_dir / PUBLISHED_NAME,
            fingerprint=content_fingerprint,
            contents=contents,
        )
        writes = _write_release(
            build_db, partial, release, run_id, storage_version, resources, base, parquet_snapshot
        )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    os.replace(partial, release.folder)
    fsync(releases)
    if before_activation:
        before_activation()
    activate_release(warehouse_dir, release_id)
    prune_releases(warehouse_dir, keep_releases)
    return replace(release, table_writes=writes)


def _copy_base(base: _PatchBase, folder: Path) -> None:
    folder.mkdir(parents=True)
    shutil.copyfile(base.db, folder / PUBLISHED_NAME)


def activate_release(warehouse_dir: Path, release_id: str) -> None:
    """Make a kept release the one BI tools read: the DuckDB file, then the Parquet link.

    The published name is another name of the release's file, not a copy (at 10M order lines a
    copy of its 900 MB took 1.2-2.7 s of every run): read-only, as every file of a release."""
    folder = warehouse_dir / "releases" / release_id
    if not (folder / PUBLISHED_NAME).exists():
        kept = ", ".join(list_releases(warehouse_dir)) or "none"
        raise ReleaseError(f"no release {release_id!r} in {folder.parent} (kept: {kept})")
    replace_by_link(folder / PUBLISHED_NAME, warehouse_dir / PUBLISHED_NAME)
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

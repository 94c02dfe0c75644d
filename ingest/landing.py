"""Loads every new export file of the landing folder into the raw tables of a build warehouse.

Every row of a file ends in its raw table or in `raw.ingest_rejects` with the line, column and
reason; `raw.ingest_files` is the ledger of file contents already loaded, so the same bytes
dropped twice (under any name) load once. A file that cannot be taken whole (unreadable, a
required column missing, too many bad rows) is moved to `<landing>/_quarantine/<family>/` with
a `.reason.txt` beside it, and the run fails naming it.

A file's rows are stored in `raw_landed.<table>`, which holds only the columns some loaded file
had: a preset lists every column an export may carry (about 90 for Shopify orders, where an
export has 15), and writing the absent ones as nulls took half of ingest. `raw.<table>`, what
dbt reads, is a view with every preset column, null where no file had it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contacts import PHONE_NUMBERS_DDL, normalise_new_phone_numbers
from ingest.formats import (
    FileLimits,
    FileRejected,
    Sheet,
    TextLayout,
    detect_text_layout,
    file_kind,
    open_workbook,
    read_sheets,
    transcode_to_utf8,
)
from ingest.landing_folder import landing_files
from ingest.masking import header_as_shown
from ingest.presets import Preset, detect_preset, load_presets
from publish.duckdb_files import sql_string

QUARANTINE_DIR = "_quarantine"
FIRST_ERRORS_SHOWN = 5
LANDED_SCHEMA = "raw_landed"
# A file's rows as read, before they are numbered into the landed table (temporary: it spills,
# if it must, into the run's owner-only spill folder).
ROWS_READ = "rows_read"

LINEAGE_COLUMNS = {
    "_extras": "json",
    "_source_file": "varchar",
    "_source_record": "bigint",
    "_file_sha256": "varchar",
    "_ingest_file_seq": "bigint",
    "_run_id": "varchar",
    "_loaded_at": "timestamptz",
}

LEDGER_DDL = """
create table if not exists raw.ingest_files (
    ingest_file_seq bigint primary key,
    file_sha256 varchar not null unique,
    source_family varchar not null,
    preset varchar not null,
    raw_table varchar not null,
    file_name varchar not null,
    file_bytes bigint not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    unknown_columns varchar[] not null,
    run_id varchar not null,
    ingested_at timestamptz not null,
    file_format varchar,
    file_mtime_ns bigint
)
"""

REJECTS_DDL = """
create table if not exists raw.ingest_rejects (
    file_sha256 varchar not null,
    file_name varchar not null,
    line bigint,
    column_name varchar,
    reason varchar not null,
    raw_line varchar,
    run_id varchar not null
)
"""


class IngestError(Exception):
    """A landing file the pipeline cannot take; the message names the file and what to do."""


@dataclass(frozen=True)
class IngestSettings:
    """What a brand tunes about ingestion: dangol.yaml `ingest:`, whose schema has the defaults."""

    max_reject_rate: float
    excel_password: str | None = field(repr=False)
    phone_region: str
    limits: FileLimits


@dataclass
class FileOutcome:
    file: Path
    status: str  # "loaded", "already_loaded", "quarantined"
    preset: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    file_format: str | None = None
    reason: str | None = None
    quarantined_to: Path | None = None


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)

    def rows_loaded(self, raw_table: str) -> int:
        presets = {p.name: p.raw_table for p in load_presets()}
        return sum(f.rows_loaded for f in self.files if presets.get(f.preset) == raw_table)

    @property
    def loaded_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "loaded"]

    @property
    def quarantined_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "quarantined"]


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw table up front, so dbt sources exist even before a source's first file;
    a column added to a preset since then is in its view at once."""
    con.execute("create schema if not exists raw")
    con.execute(f"create schema if not exists {LANDED_SCHEMA}")
    con.execute(LEDGER_DDL)
    con.execute("alter table raw.ingest_files add column if not exists file_format varchar")
    con.execute("alter table raw.ingest_files add column if not exists file_mtime_ns bigint")
    con.execute(REJECTS_DDL)
    con.execute(PHONE_NUMBERS_DDL)
    for raw_table in _raw_table_columns():
        _move_wide_table(con, raw_table)
        lineage = ", ".join(f"{name} {kind}" for name, kind in LINEAGE_COLUMNS.items())
        con.execute(f"create table if not exists {LANDED_SCHEMA}.{raw_table} ({lineage})")
        _create_raw_view(con, raw_table)


def _move_wide_table(con: duckdb.DuckDBPyConnection, raw_table: str) -> None:
    """A state written before the landed tables holds raw.<table> as a table: moved once."""
    kind = con.execute(
        "select table_type from information_schema.tables"
        " where table_schema = 'raw' and table_name = ?",
        [raw_table],
    ).fetchone()
    if kind and kind[0] == "BASE TABLE":
        con.execute(f"create table {LANDED_SCHEMA}.{raw_table} as from raw.{raw_table}")
        con.execute(f"drop table raw.{raw_table}")


def _create_raw_view(con: duckdb.DuckDBPyConnection, raw_table: str) -> None:
    """raw.<table>: every preset column (null where no file had it), then the lineage."""
    stored = [
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns()"
            " where database_name = current_database() and schema_name = ? and table_name = ?"
            " order by column_index",
            [LANDED_SCHEMA, raw_table],
        ).fetchall()
    ]
    listed = _raw_table_columns()[raw_table]
    # Columns a preset no longer lists stay readable, as they did in the table.
    columns = listed + [c for c in stored if c not in listed and c not in LINEAGE_COLUMNS]
    selected = [c if c in stored else f"null::varchar as {c}" for c in columns]
    selected += list(LINEAGE_COLUMNS)
    con.execute(
        f"create or replace view raw.{raw_table} as"
        f" select {', '.join(selected)} from {LANDED_SCHEMA}.{raw_table}"
    )


def loaded_raw_tables() -> list[str]:
    """The raw tables landing files load into; raw.ingest_files counts each file's rows."""
    return sorted(_raw_table_columns())


def raw_tables() -> list[str]:
    """Every raw table ingest writes: those files load into, and raw.phone_numbers (each raw
    phone text with its E.164 form, which staging joins)."""
    return sorted([*loaded_raw_tables(), "phone_numbers"])


def _raw_table_columns() -> dict[str, list[str]]:
    """Several presets may share a raw table (two layouts of one export); it has all columns."""
    tables: dict[str, list[str]] = {}
    for preset in load_presets():
        columns = tables.setdefault(preset.raw_table, [])
        columns += [c for c in preset.raw_columns if c not in columns]
    return tables


@dataclass
class Ledger:
    """What `raw.ingest_files` says was loaded: file contents by their hash, and each file as it
    lay when it was last read (name, size, modification time)."""

    contents: set[str]
    files: set[tuple[str, int, int]]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Ledger:
        # A state from before the ledger kept mtimes, read as it is (`dangol status`), has none.
        kept = con.execute(
            "select count(*) from duckdb_columns() where database_name = current_database()"
            " and schema_name = 'raw' and table_name = 'ingest_files'"
            " and column_name = 'file_mtime_ns'"
        ).fetchone()[0]
        mtime = "file_mtime_ns" if kept else "null"
        rows = con.execute(
            f"select file_sha256, file_name, file_bytes, {mtime} from raw.ingest_files"
        ).fetchall()
        return cls(
            contents={sha256 for sha256, *_ in rows},
            files={(name, size, mtime) for _, name, size, mtime in rows if mtime is not None},
        )

    def holds_unchanged(self, path: Path, landed: os.stat_result) -> bool:
        """A file still as it was loaded is known without reading it again, as the nothing-new
        check knows it: hashing the 1.2 GB history of a 10M-line shop took 2 s of every run.
        Written again, a file has a new mtime and is read (and loads if its bytes are new)."""
        return (path.name, landed.st_size, landed.st_mtime_ns) in self.files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sql_identifier(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _detect(family: str, header: list[str]) -> Preset:
    detection = detect_preset(family, header)
    if detection.preset is not None:
        return detection.preset
    if detection.closest is None:
        raise FileRejected(f"no {family} layouts are defined (ingest/presets/{family}.yaml)")
    raise FileRejected(
        f"unrecognised {family} export; closest layout is {detection.closest.name}"
        f" ({detection.closest.description}), which needs columns missing here:"
        f" {', '.join(detection.missing)}. Header found: {header_as_shown(header)}"
    )


@dataclass
class _Source:
    """Where a file's rows come from, as positional text columns c0..cN."""

    relation_sql: str
    header: list[str]
    file_format: str
    reads_csv: bool = False  # DuckDB's reader logs rejects in reject_errors
    python_rejects: list[tuple[int, str | None, str, str | None]] = field(default_factory=list)


def _csv_source(path: Path, layout: TextLayout, work_dir: Path, max_row_bytes: int) -> _Source:
    if not layout.has_rows:
        # A header-only export (nothing sold today) is valid; DuckDB cannot sniff it.
        nothing = ", ".join(f"null::varchar as c{i}" for i in range(len(layout.header)))
        return _Source(f"(select {nothing} where false)", layout.header, f"csv ({layout.label})")
    readable = path
    if layout.duckdb_encoding is None:
        readable = work_dir / f"{path.name}.utf8"
        transcode_to_utf8(path, layout.encoding, readable)
    columns = "{" + ", ".join(f"'c{i}': 'varchar'" for i in range(len(layout.header))) + "}"
    # Explicit options, not sniffing: a path literal (not a parameter) keeps DuckDB's fast path.
    relation = f"""read_csv(
        {sql_string(str(readable))},
        header = false, skip = 1, columns = {columns},
        delim = {sql_string(layout.delimiter)}, quote = '"', escape = '"',
        encoding = {sql_string(layout.duckdb_encoding or "utf-8")},
        max_line_size = {int(max_row_bytes)},
        store_rejects = true
    )"""
    return _Source(relation, layout.header, f"csv ({layout.label})", reads_csv=True)


def _xlsx_source(con: duckdb.DuckDBPyConnection, sheet: Sheet, kind: str) -> _Source:
    width = len(sheet.header)
    columns: dict[str, list] = {f"c{i}": [] for i in range(width)}
    lines: list[int] = []
    rejects = []
    for number, row in zip(sheet.row_numbers, sheet.rows, strict=True):
        overflow = [v for v in row[width:] if v is not None and v.strip()]
        if overflow:
            cells = ",".join(v or "" for v in row)
            rejects.append((number, None, "TOO MANY COLUMNS: values right of the header", cells))
            continue
        for i in range(width):
            columns[f"c{i}"].append(row[i] if i < len(row) else None)
        lines.append(number)
    table = pa.table({**{k: pa.array(v, pa.string()) for k, v in columns.items()}, "_line": lines})
    con.register("_xlsx_rows", table)
    file_format = "xlsx (password-protected)" if kind == "ole" else "xlsx"
    return _Source("_xlsx_rows", sheet.header, file_format, python_rejects=rejects)


def _open(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    family: str,
    settings: IngestSettings,
    work_dir: Path,
) -> tuple[_Source, Preset]:
    kind = file_kind(path)
    if kind == "text":
        layout = detect_text_layout(path, settings.limits)
        preset = _detect(family, layout.header)
        return _csv_source(path, layout, work_dir, settings.limits.max_row_bytes), preset
    workbook = open_workbook(path, kind, settings.excel_password, settings.limits)
    sheet = read_sheets(workbook, lambda header: detect_preset(family, header).preset is not None)
    preset = _detect(family, sheet.header)
    return _xlsx_source(con, sheet, kind), preset


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    family: str,
    sha256: str,
    run_id: str,
    settings: IngestSettings,
    work_dir: Path,
    landed: os.stat_result | None = None,
) -> FileOutcome:
    """Load one file whose content hashes to `sha256`; `landed` is its stat from before it was
    hashed, which the ledger keeps so that later runs know the file without reading it."""
    landed = landed or path.stat()
    source, preset = _open(con, path, family, settings, work_dir)
    matched = preset.match(source.header)
    unknown = [
        (i, name) for i, name in enumerate(source.header) if i not in matched and name.strip()
    ]
    selected = [f"c{i} as {column.raw_name}" for i, column in matched.items()]
    extras = "null::json"
    if unknown:
        keys = _unique_keys([name for _, name in unknown])
        pairs = [f"{sql_string(k)}, c{i}" for k, (i, _) in zip(keys, unknown, strict=True)]
        extras = f"json_object({', '.join(pairs)})"
    seq = con.execute("select coalesce(max(ingest_file_seq), 0) + 1 from raw.ingest_files")
    file_seq = seq.fetchone()[0]
    loaded_at = datetime.now(UTC)
    con.execute("begin")
    try:
        # In the transaction: a quarantined file adds no column.
        for column in matched.values():
            con.execute(
                f"alter table {LANDED_SCHEMA}.{preset.raw_table}"
                f" add column if not exists {column.raw_name} varchar"
            )
        _create_raw_view(con, preset.raw_table)
        inserted, rejected, first_errors = _insert_rows(
            con, path, preset, source, selected, extras, sha256, file_seq, run_id, loaded_at
        )
        read = inserted + rejected
        if read and rejected / read > settings.max_reject_rate:
            raise FileRejected(
                f"{rejected} of {read} rows ({rejected / read:.1%}) could not be read, above"
                f" the {settings.max_reject_rate:.0%} allowed (ingest.max_reject_rate)",
                first_errors,
            )
        con.execute(
            """
            insert into raw.ingest_files (
                ingest_file_seq, file_sha256, source_family, preset, raw_table, file_name,
                file_bytes, rows_read, rows_loaded, rows_rejected, unknown_columns, run_id,
                ingested_at, file_format, file_mtime_ns
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                file_seq,
                sha256,
                preset.source_family,
                preset.name,
                preset.raw_table,
                path.name,
                landed.st_size,
                read,
                inserted,
                rejected,
                [name for _, name in unknown],
                run_id,
                loaded_at,
                source.file_format,
                landed.st_mtime_ns,
            ],
        )
        con.execute("commit")
    except FileRejected:
        con.execute("rollback")
        raise
    except duckdb.InvalidInputException as error:
        # The reader gave up on the file itself (not a row); other DuckDB errors are our bugs.
        con.execute("rollback")
        raise FileRejected(_reader_failure(error, path, preset, settings.limits)) from None
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        if source.relation_sql == "_xlsx_rows":
            con.unregister("_xlsx_rows")
    return FileOutcome(
        file=path,
        status="loaded",
        preset=preset.name,
        rows_loaded=inserted,
        rows_rejected=rejected,
        unknown_columns=[name for _, name in unknown],
        file_format=source.file_format,
    )


def _first_line_longer_than(path: Path, limit: int) -> int | None:
    """The number of the first line longer than `limit` bytes, reading at most that much."""
    with path.open("rb") as handle:
        for number, line in enumerate(iter(lambda: handle.readline(limit + 1), b""), start=1):
            if len(line.rstrip(b"\r\n")) > limit:
                return number
    return None


def _reader_failure(
    error: duckdb.InvalidInputException, path: Path, preset: Preset, limits: FileLimits
) -> str:
    """Why DuckDB's reader gave up, without the line it quotes: that line is a customer's."""
    message = str(error)
    if "Maximum line size" in message:
        line = _first_line_longer_than(path, limits.max_row_bytes)
        where = f"line {line}" if line else "a row"
        return (
            f"{where} is longer than ingest.max_row_bytes ({limits.max_row_bytes:,} bytes):"
            " a field of megabytes is not an export"
        )
    first_paragraph = message.split("\n\n")[0].splitlines()
    kept = [line for line in first_paragraph if not line.startswith("Original Line")]
    return f"could not be read as {preset.description}: {' '.join(kept)[:500]}"


def _unique_keys(names: list[str]) -> list[str]:
    keys: list[str] = []
    for name in names:
        key, n = name, 2
        while key in keys:
            key, n = f"{name} ({n})", n + 1
        keys.append(key)
    return keys


def _insert_rows(
    con, path, preset, source, selected, extras, sha256, file_seq, run_id, loaded_at
) -> tuple[int, int, list[str]]:
    con.execute(
        "drop table if exists reject_errors; drop table if exists reject_scans;"
        f" drop table if exists {ROWS_READ}"
    )
    landed = f"{LANDED_SCHEMA}.{preset.raw_table}"
    # Each row's number in the file is its place in the order the rows were read in (DuckDB
    # keeps the file's order), given as they move from a temporary table into the landed one.
    # Counted from the table's first rowid, not from 0: it is made inside the file's
    # transaction, whose uncommitted rows DuckDB numbers from a large offset (`rowid + 1` gave
    # a test's first row the number 36028797018960001).
    # `row_number() over ()` in the read would fold DuckDB's parallel CSV reader into one
    # thread (23 s instead of 16 s for a 10M-line export), and numbering the landed rows after
    # the insert logged every row again at commit (ingest of 10M lines: 13.2-13.4 -> 10.6-11.3 s).
    con.execute(f"create temp table {ROWS_READ} as select * from {source.relation_sql}")
    # Types are applied in dbt staging; raw keeps the text exactly as the file had it.
    inserted = con.execute(
        f"""
        insert into {landed} by name
        select
            {"".join(s + ", " for s in selected)}
            {extras} as _extras,
            $file_name as _source_file,
            $sha256 as _file_sha256,
            $file_seq as _ingest_file_seq,
            rowid - (select min(rowid) from {ROWS_READ}) + 1 as _source_record,
            $run_id as _run_id,
            $loaded_at as _loaded_at
        from {ROWS_READ}
        """,
        {
            "file_name": path.name,
            "sha256": sha256,
            "file_seq": file_seq,
            "run_id": run_id,
            "loaded_at": loaded_at,
        },
    ).fetchone()[0]
    con.execute(f"drop table {ROWS_READ}")
    params = {"sha256": sha256, "file_name": path.name, "run_id": run_id}
    rejected = 0
    if source.reads_csv:
        header_names = "[" + ", ".join(sql_string(h) for h in source.header) + "]"
        rejected = con.execute(
            f"""
            insert into raw.ingest_rejects
            select $sha256, $file_name, line,
                   coalesce({header_names}[column_idx::bigint], column_name),
                   error_type || ': ' || error_message, csv_line, $run_id
            from reject_errors
            -- DuckDB may log several errors for one line; the row is rejected once, first reason.
            qualify row_number() over (partition by line order by column_idx) = 1
            """,
            params,
        ).fetchone()[0]
    for line, column, reason, raw_line in source.python_rejects:
        con.execute(
            "insert into raw.ingest_rejects values ($sha256, $file_name, $line, $column,"
            " $reason, $raw_line, $run_id)",
            {**params, "line": line, "column": column, "reason": reason, "raw_line": raw_line},
        )
        rejected += 1
    first_errors = [
        f"line {line}" + (f", column {column!r}" if column else "") + f": {reason}"
        for line, column, reason in con.execute(
            f"select line, column_name, reason from raw.ingest_rejects"
            f" where file_sha256 = $sha256 and run_id = $run_id order by line"
            f" limit {FIRST_ERRORS_SHOWN}",
            {"sha256": sha256, "run_id": run_id},
        ).fetchall()
    ]
    return inserted, rejected, first_errors


def quarantine(landing: Path, family: str, path: Path, reason: str, errors: list[str]) -> Path:
    """Move a file aside with a note saying why; the loader never looks in the quarantine."""
    folder = landing / QUARANTINE_DIR / family
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    path.replace(target)
    lines = [
        f"file: {family}/{path.name}",
        f"quarantined at: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"reason: {reason}",
        *(["first errors:", *(f"  {e}" for e in errors)] if errors else []),
        "",
        "Nothing from this file was loaded. Fix or export it again, then put it back in"
        f" {family}/; the next run loads it.",
    ]
    target.with_name(target.name + ".reason.txt").write_text("\n".join(lines) + "\n", "utf-8")
    return target


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    run_id: str,
    settings: IngestSettings,
    on_file_loaded: Callable[[FileOutcome], None] | None = None,
    scratch_dir: Path | None = None,
) -> IngestReport:
    """Load every file of `landing` not loaded before; quarantine bad files and then raise
    IngestError naming every one of them with its first errors.

    A file DuckDB cannot read in its encoding (CP949, say) is read from a UTF-8 copy, made in a
    folder of its own inside `scratch_dir` and removed after: a run gives its owner-only build
    folder, where a killed run's copy of a customer export is removed with the rest of its
    build by the next run (None: the system's temporary folder)."""
    ensure_raw_schema(con)
    ledger = Ledger.read(con)
    report, problems = IngestReport(), []
    with tempfile.TemporaryDirectory(prefix="dangol-ingest-", dir=scratch_dir) as work_dir:
        for family, path in landing_files(landing):
            landed = path.stat()
            if ledger.holds_unchanged(path, landed):
                report.files.append(FileOutcome(file=path, status="already_loaded"))
                continue
            sha256 = file_sha256(path)
            if sha256 in ledger.contents:
                # Loaded before the ledger kept mtimes, or touched since: the same file with the
                # same bytes, which the next run then knows unread.
                con.execute(
                    "update raw.ingest_files set file_mtime_ns = ? where file_sha256 = ?"
                    " and file_name = ? and file_bytes = ?"
                    " and file_mtime_ns is distinct from ?",
                    [landed.st_mtime_ns, sha256, path.name, landed.st_size, landed.st_mtime_ns],
                )
                report.files.append(FileOutcome(file=path, status="already_loaded"))
                continue
            try:
                outcome = load_file(
                    con, path, family, sha256, run_id, settings, Path(work_dir), landed
                )
            except FileRejected as rejection:
                moved = quarantine(landing, family, path, rejection.reason, rejection.first_errors)
                report.files.append(
                    FileOutcome(
                        file=path, status="quarantined", reason=rejection.reason,
                        quarantined_to=moved,
                    )
                )  # fmt: skip
                detail = "".join(f"\n    {e}" for e in rejection.first_errors)
                problems.append(
                    f"{family}/{path.name}: {rejection.reason}{detail}\n    (moved to {moved})"
                )
                continue
            report.files.append(outcome)
            ledger.contents.add(sha256)
            if on_file_loaded:
                on_file_loaded(outcome)
    normalise_new_phone_numbers(con, settings.phone_region)
    if problems:
        raise IngestError(
            f"{len(problems)} file(s) quarantined; nothing was published:\n  - "
            + "\n  - ".join(problems)
        )
    return report

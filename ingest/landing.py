"""Loads every new export file of the landing folder into the raw tables of a build warehouse.

Every row of a file ends in its raw table or in `raw.ingest_rejects` with the line and the
reason; `raw.ingest_files` is the ledger of file contents already loaded, so the same bytes
dropped twice (under any name) load once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.presets import SOURCE_FAMILIES, Preset, detect_preset, load_presets, raw_column_name

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
    ingested_at timestamptz not null
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


@dataclass
class FileOutcome:
    file: Path
    status: str  # "loaded", "already_loaded"
    preset: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    unknown_columns: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)

    def rows_loaded(self, raw_table: str) -> int:
        presets = {p.name: p.raw_table for p in load_presets()}
        return sum(f.rows_loaded for f in self.files if presets.get(f.preset) == raw_table)

    @property
    def loaded_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "loaded"]


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw table up front, so dbt sources exist even before a source's first file."""
    con.execute("create schema if not exists raw")
    con.execute(LEDGER_DDL)
    con.execute(REJECTS_DDL)
    for preset in load_presets():
        columns = [f"{raw_column_name(c)} varchar" for c in preset.columns]
        columns += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS.items()]
        con.execute(f"create table if not exists raw.{preset.raw_table} ({', '.join(columns)})")


def landing_files(landing: Path) -> list[tuple[str, Path]]:
    """(source family, file) for every candidate file, in a stable order."""
    found = []
    for family in SOURCE_FAMILIES:
        folder = landing / family
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            # Hidden files and Excel's "~$" lock files are not exports.
            if path.is_file() and not path.name.startswith((".", "~$")):
                found.append((family, path))
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first_line = handle.readline()
    if not first_line.strip():
        raise IngestError(f"{path}: the file is empty; export it again from the source system")
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError(
            f"{path}: line 1 is not UTF-8 text (byte {error.start}); re-save the file as UTF-8 CSV"
        ) from None
    return [column.strip() for column in next(csv.reader(io.StringIO(text)))]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_identifier(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    preset: Preset,
    header: list[str],
    sha256: str,
    run_id: str,
) -> FileOutcome:
    known = set(preset.columns)
    unknown = [column for column in header if column not in known]
    selected = [
        f"{_sql_identifier(c)} as {raw_column_name(c)}" for c in preset.columns if c in header
    ]
    extras = (
        "json_object(" + ", ".join(f"{_sql_string(c)}, {_sql_identifier(c)}" for c in unknown) + ")"
        if unknown
        else "null::json"
    )
    seq = con.execute("select coalesce(max(ingest_file_seq), 0) + 1 from raw.ingest_files")
    file_seq = seq.fetchone()[0]
    loaded_at = datetime.now(UTC)
    con.execute("begin")
    try:
        con.execute("drop table if exists reject_errors; drop table if exists reject_scans")
        # Types are applied in dbt staging; raw keeps the text exactly as the file had it.
        inserted = con.execute(
            f"""
            insert into raw.{preset.raw_table} by name
            select
                {", ".join(selected)},
                {extras} as _extras,
                $file_name as _source_file,
                row_number() over () as _source_record,
                $sha256 as _file_sha256,
                $file_seq as _ingest_file_seq,
                $run_id as _run_id,
                $loaded_at as _loaded_at
            from read_csv(
                {_sql_string(str(path))},
                header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
                store_rejects = true
            )
            """,
            {
                "file_name": path.name,
                "sha256": sha256,
                "file_seq": file_seq,
                "run_id": run_id,
                "loaded_at": loaded_at,
            },
        ).fetchone()[0]
        rejected = con.execute(
            """
            insert into raw.ingest_rejects
            select $sha256, $file_name, line, column_name,
                   error_type || ': ' || error_message, csv_line, $run_id
            from reject_errors
            -- DuckDB may log several errors for one line; the row is rejected once, first reason.
            qualify row_number() over (partition by line order by column_idx) = 1
            """,
            {"sha256": sha256, "file_name": path.name, "run_id": run_id},
        ).fetchone()[0]
        con.execute(
            "insert into raw.ingest_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                file_seq,
                sha256,
                preset.source_family,
                preset.name,
                preset.raw_table,
                path.name,
                path.stat().st_size,
                inserted + rejected,
                inserted,
                rejected,
                unknown,
                run_id,
                loaded_at,
            ],
        )
        con.execute("commit")
    except duckdb.Error as error:
        con.execute("rollback")
        raise IngestError(f"{path}: could not be read as {preset.description}: {error}") from None
    return FileOutcome(
        file=path,
        status="loaded",
        preset=preset.name,
        rows_loaded=inserted,
        rows_rejected=rejected,
        unknown_columns=unknown,
    )


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    run_id: str,
    on_file_loaded: Callable[[FileOutcome], None] | None = None,
) -> IngestReport:
    """Load every file of `landing` not loaded before; raise IngestError naming every bad file."""
    ensure_raw_schema(con)
    seen = {row[0] for row in con.execute("select file_sha256 from raw.ingest_files").fetchall()}
    report, problems = IngestReport(), []
    for family, path in landing_files(landing):
        try:
            sha256 = file_sha256(path)
            if sha256 in seen:
                report.files.append(FileOutcome(file=path, status="already_loaded"))
                continue
            header = read_header(path)
            detection = detect_preset(family, header)
            if detection.preset is None:
                hint = (
                    f"closest layout is {detection.closest.name} ({detection.closest.description}),"
                    f" which needs columns missing here: {', '.join(detection.missing)}"
                    if detection.closest
                    else "no layouts are defined for this folder"
                )
                raise IngestError(f"{path}: unrecognised {family} export; {hint}")
            outcome = load_file(con, path, detection.preset, header, sha256, run_id)
            report.files.append(outcome)
            seen.add(sha256)
            if on_file_loaded:
                on_file_loaded(outcome)
        except IngestError as error:
            problems.append(str(error))
    if problems:
        raise IngestError("\n".join(problems))
    return report

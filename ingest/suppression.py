"""The brand's suppression list (never contact these people, whatever their consent) into
`raw.suppression_list`, which dbt turns into an exclusion reason of every segment list.

The file is the brand's current list, not a history: the table is replaced whole each run.
It is read like every export (UTF-8 with or without BOM, CP949/EUC-KR, UTF-16, XLSX), and its
phones are normalised the way every other phone is (`raw.phone_numbers`). An entry that is not
a phone number stops the run before anything is published or exported: a list that cannot be
read whole must not let anyone through.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contacts import PHONE_NUMBERS_DDL, normalise_new_phone_numbers
from ingest.formats import (
    FileLimits,
    FileRejected,
    detect_text_layout,
    file_kind,
    open_workbook,
    read_sheets,
)
from ingest.landing import IngestSettings
from ingest.masking import header_as_shown, masked

RAW_TABLE = "suppression_list"
# Header names (lower case) of the two columns a suppression list may have.
HEADERS = {
    "email": ("email", "e-mail", "이메일"),
    "phone": ("phone", "mobile", "전화번호", "휴대폰", "휴대전화"),
}


class SuppressionListError(ValueError):
    """A user-fixable problem with the suppression list; names the file, line and column."""


@dataclass(frozen=True)
class SuppressionEntry:
    line: int  # the line (CSV) or row (Excel) in the file
    email: str | None
    phone: str | None


def _columns(path: Path, header: list[str], line: int) -> dict[str, int]:
    cells = [cell.strip().lower() for cell in header]
    columns = {
        kind: cells.index(name)
        for kind, names in HEADERS.items()
        for name in names
        if name in cells
    }
    if not columns:
        raise SuppressionListError(
            f"{path}, line {line}: no email or phone column (header: {header_as_shown(cells)}); "
            "name a column `email` or `phone`"
        )
    return columns


def _entry(line: int, row: list, columns: dict[str, int]) -> SuppressionEntry | None:
    def cell(kind: str) -> str | None:
        index = columns.get(kind)
        value = row[index] if index is not None and index < len(row) else None
        return value if value is not None and value.strip() else None

    email, phone = cell("email"), cell("phone")
    return SuppressionEntry(line, email, phone) if email or phone else None


def _text_entries(path: Path, limits: FileLimits) -> list[SuppressionEntry]:
    layout = detect_text_layout(path, limits)
    data = path.read_bytes()
    try:
        text = data.decode(layout.encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRejected(
            f"line {line} is not {layout.label} text; the file mixes encodings: re-save it as"
            " 'CSV UTF-8' or .xlsx"
        ) from None
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=layout.delimiter)
    columns = _columns(path, next(reader, []), 1)
    entries = [_entry(reader.line_num, row, columns) for row in reader]
    return [entry for entry in entries if entry]


def _workbook_entries(path: Path, kind: str, limits: FileLimits) -> list[SuppressionEntry]:
    known = {name for names in HEADERS.values() for name in names}
    workbook = open_workbook(path, kind, password=None, limits=limits)
    sheet = read_sheets(workbook, lambda header: any(h.lower() in known for h in header))
    columns = _columns(path, sheet.header, sheet.header_row)
    entries = [
        _entry(line, row, columns) for line, row in zip(sheet.row_numbers, sheet.rows, strict=True)
    ]
    return [entry for entry in entries if entry]


def read_suppression_list(path: Path, limits: FileLimits) -> list[SuppressionEntry]:
    """The entries of a suppression file in any encoding or workbook ingest accepts."""
    try:
        kind = file_kind(path)
        if kind == "text":
            return _text_entries(path, limits)
        return _workbook_entries(path, kind, limits)
    except FileRejected as error:
        raise SuppressionListError(f"{path}: {error.reason}") from None


def load_suppression_list(
    con: duckdb.DuckDBPyConnection, path: Path, settings: IngestSettings
) -> int:
    """Replace raw.suppression_list with the file's entries (none when there is no file) and
    normalise its phones into raw.phone_numbers; returns how many entries were loaded."""
    phone_region = settings.phone_region
    entries = read_suppression_list(path, settings.limits) if path.exists() else []
    rows = pa.table(
        {
            "line_number": pa.array([e.line for e in entries], pa.int32()),
            "email": pa.array([e.email for e in entries], pa.string()),
            "phone": pa.array([e.phone for e in entries], pa.string()),
        }
    )
    con.execute("create schema if not exists raw")
    con.execute(PHONE_NUMBERS_DDL)
    con.register("suppression_entries", rows)
    con.execute(f"create or replace table raw.{RAW_TABLE} as select * from suppression_entries")
    con.unregister("suppression_entries")
    normalise_new_phone_numbers(con, phone_region, [(RAW_TABLE, "phone")])
    unreadable = con.execute(
        f"""
        select entries.line_number, entries.phone
        from raw.{RAW_TABLE} as entries
        left join raw.phone_numbers as numbers
            on numbers.phone_raw = entries.phone and numbers.default_region = ?
        where entries.phone is not null and numbers.phone_e164 is null
        order by entries.line_number
        limit 1
        """,
        [phone_region],
    ).fetchone()
    if unreadable:
        line, phone = unreadable
        raise SuppressionListError(
            f"{path}, line {line}, column phone: {masked(phone)!r} is not a phone number; fix or"
            " remove "
            "it (nothing is published or exported until the list is readable)"
        )
    return len(entries)

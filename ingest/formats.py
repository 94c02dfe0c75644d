"""What an export file is made of: text in which encoding and delimiter, or an Excel workbook.

Brands hand over what their admin, CRM or Excel wrote: UTF-8 with or without a BOM, CP949
(Korean Windows Excel's "CSV"), UTF-16 (Excel's "Unicode text", tab-separated), XLSX, and
password-protected XLSX. A guess that cannot be proven raises FileRejected instead of loading
mojibake.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import msoffcrypto
import python_calamine

SAMPLE_BYTES = 1 << 20
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and every encrypted Office file
DELIMITERS = (",", "\t", ";", "|")
HEADER_SEARCH_ROWS = 10  # Excel exports sometimes put a title or notice above the header


@dataclass(frozen=True)
class FileLimits:
    """How big an export may be before it is taken for hostile (dangol.yaml `ingest:`): a file
    past a limit is quarantined before it can exhaust memory or time."""

    max_columns: int
    max_row_bytes: int
    max_unzipped_workbook_bytes: int
    max_sheet_cells: int


class FileRejected(Exception):
    """The file cannot be taken as it is; it is quarantined with this reason."""

    def __init__(self, reason: str, first_errors: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.first_errors = first_errors or []


@dataclass(frozen=True)
class TextLayout:
    encoding: str  # python codec name: utf-8, utf-8-sig, utf-16, cp949
    delimiter: str
    header: list[str]
    has_rows: bool = True

    @property
    def duckdb_encoding(self) -> str | None:
        """DuckDB reads UTF-8 and UTF-16 itself; anything else is transcoded first."""
        return {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16"}.get(self.encoding)

    @property
    def label(self) -> str:
        return {"utf-8-sig": "UTF-8 with BOM", "cp949": "CP949/EUC-KR"}.get(
            self.encoding, self.encoding.upper()
        )


def file_kind(path: Path) -> str:
    """'empty', 'xlsx', 'ole' (encrypted Office file or legacy .xls) or 'text'."""
    with path.open("rb") as handle:
        start = handle.read(SAMPLE_BYTES)
    if not start.strip():
        raise FileRejected("the file is empty; export it again from the source system")
    if start.startswith(ZIP_MAGIC):
        return "xlsx"
    if start.startswith(OLE_MAGIC):
        return "ole"
    return "text"


def _looks_like_utf16(sample: bytes) -> str | None:
    # Excel always writes a BOM; without one, ASCII-heavy UTF-16 has a NUL in every other byte.
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 64 and sample[1::2].count(0) > 0.4 * len(sample) / 2:
        return "utf-16-le"
    return None


def _decodes(sample: bytes, encoding: str) -> str | None:
    """The sample as text, or None; a multi-byte character cut off at the sample's end is fine."""
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return None


_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_HANJA = re.compile(r"[\u4e00-\u9fff\uf900-\ufaff]")
_WIDE = re.compile(r"[^\x00-\x7f]")


def _reads_as_korean(text: str) -> bool:
    """CP949 decodes many byte soups (UTF-8, Latin-1) without error, as rare Hanja and odd
    syllables; Korean shop data is Hangul with at most a little Hanja."""
    hangul, hanja, wide = (len(p.findall(text)) for p in (_HANGUL, _HANJA, _WIDE))
    return hangul >= 0.8 * wide and hanja <= 0.05 * max(hangul, 1)


def _first_bad_line(sample: bytes, encoding: str) -> int:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
    except UnicodeDecodeError as error:
        return sample[: error.start].count(b"\n") + 1
    return 0


def detect_text_layout(path: Path, limits: FileLimits) -> TextLayout:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
        whole_file_sampled = not handle.read(1)
    utf16 = _looks_like_utf16(sample)
    if utf16:
        encoding = "utf-16"
        text = _decodes(sample, utf16)
        if text is None:
            raise FileRejected("the file looks like UTF-16 text but does not decode as UTF-16")
        if utf16 == "utf-16-le":
            raise FileRejected(
                "the file is UTF-16 text without a byte-order mark; re-save it from Excel as"
                " 'Unicode text' or 'CSV UTF-8'"
            )
        text = text.lstrip("\ufeff")
    elif b"\x00" in sample:
        raise FileRejected("the file is binary, not a CSV or Excel export")
    elif sample.startswith(codecs.BOM_UTF8):
        encoding, text = "utf-8-sig", _decodes(sample[3:], "utf-8")
        if text is None:
            raise FileRejected("the file starts with a UTF-8 mark but is not UTF-8 text")
    elif (text := _decodes(sample, "utf-8")) is not None:
        encoding = "utf-8"
    elif (text := _decodes(sample, "cp949")) is not None and _reads_as_korean(text):
        encoding = "cp949"
    else:
        raise FileRejected(
            f"line {_first_bad_line(sample, 'utf-8')} is not UTF-8 text, and the file does not"
            " read as CP949/EUC-KR (Korean Excel's CSV) or UTF-16 either; it mixes encodings"
            " or is not an export: re-save it as 'CSV UTF-8' or .xlsx"
        )
    lines = text.splitlines()
    first_line = lines[0] if lines else ""
    if len(lines) < 2 and not text.endswith(("\n", "\r")) and not whole_file_sampled:
        raise FileRejected(
            f"the first line (the header) is longer than {SAMPLE_BYTES:,} bytes: not an export"
        )
    has_rows = any(line.strip() for line in lines[1:])
    delimiter = max(DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    if len(header) > limits.max_columns:
        raise FileRejected(
            f"the header has {len(header):,} columns, more than ingest.max_columns"
            f" ({limits.max_columns:,}): not an export"
        )
    return TextLayout(encoding, delimiter, [column.strip() for column in header], has_rows)


def transcode_to_utf8(path: Path, encoding: str, target: Path) -> None:
    """Stream a file into UTF-8, strictly: a byte the encoding cannot explain rejects the file."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line, offset = 1, 0
    with path.open("rb") as source, target.open("wb") as out:
        for chunk in iter(lambda: source.read(1 << 22), b""):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk[: error.start].count(b"\n")
                raise FileRejected(
                    f"line {line} is not {encoding.upper()} text (byte {offset + error.start});"
                    " the file mixes encodings: re-save it as 'CSV UTF-8'"
                ) from None
            if encoding == "cp949" and not _reads_as_korean(text):
                raise FileRejected(
                    f"the file starts as CP949 but does not read as Korean text after about line"
                    f" {line}; it mixes encodings: re-save it as 'CSV UTF-8'"
                )
            out.write(text.encode("utf-8"))
            line += chunk.count(b"\n")
            offset += len(chunk)
        try:
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
        except UnicodeDecodeError:
            raise FileRejected("the file ends in the middle of a character: truncated") from None


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    header_row: int  # 1-based Excel row of the header
    rows: list[list[str | None]]  # data rows as text, in sheet order, blank rows dropped
    row_numbers: list[int]  # 1-based Excel row of each data row


# A worksheet's row or cell element, with its reference if it has one (<row r="7">, <c r="B7">)
# and whether it is empty (<c r="B7" s="1"/>: formatting only, which calamine skips). Without a
# reference, a row follows the row before and a cell the cell before.
_ROW_OR_CELL = re.compile(
    rb"<(?:\w+:)?(row|c)(?=[\s/>])(?:[^>]*?\sr=\"([A-Z]{0,3})([0-9]{1,7})\")?[^>]*?(/?)>"
)


@cache
def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _sheet_extent(stream: io.BufferedIOBase) -> tuple[int, int]:
    """(rows, columns) of a worksheet's used range as calamine lays it out, read in chunks."""
    rows = columns = row = column = 0
    carry = b""
    for chunk in iter(lambda: stream.read(1 << 22), b""):
        data = carry + chunk
        cut = data.rfind(b"<")  # a tag cut at the chunk's end is read with the next chunk
        data, carry = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
        for tag, letters, number, empty in _ROW_OR_CELL.findall(data):
            if tag == b"row":
                row, column = (int(number) if number else row + 1), 0
                continue
            column = _column_number(letters) if letters else column + 1
            if not empty:
                rows = max(rows, int(number) if number else row)
                columns = max(columns, column)
    return rows, columns


def check_workbook_size(package: bytes, limits: FileLimits) -> None:
    """Unzip the workbook once, counting, before calamine reads it: a zip bomb, or a sheet whose
    used range spans millions of empty cells (calamine allocates the whole range at once and
    aborts the process when it cannot), is rejected within bounded memory and time."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
        members = archive.infolist()
        declared = sum(member.file_size for member in members)
        if declared > limits.max_unzipped_workbook_bytes:
            raise FileRejected(
                f"the workbook unzips to {declared:,} bytes, more than"
                f" ingest.max_unzipped_workbook_bytes ({limits.max_unzipped_workbook_bytes:,}):"
                " a zip bomb, or an export too big to read at once (export it as CSV)"
            )
        for member in members:
            # zipfile stops at the declared size and checks the CRC: a lying size fails here.
            with archive.open(member) as stream:
                if member.filename.startswith("xl/worksheets/"):
                    rows, columns = _sheet_extent(stream)
                else:
                    rows = columns = 0
                    while stream.read(1 << 22):
                        pass
            if columns > limits.max_columns:
                raise FileRejected(
                    f"{member.filename} has cells in column {columns:,}, more than"
                    f" ingest.max_columns ({limits.max_columns:,}): not an export"
                )
            if rows * columns > limits.max_sheet_cells:
                raise FileRejected(
                    f"{member.filename} spans {rows:,} rows by {columns:,} columns, more than"
                    f" ingest.max_sheet_cells ({limits.max_sheet_cells:,}) cells:"
                    " not an export, or too big to read at once (export it as CSV)"
                )
    # RuntimeError: an encrypted zip part; NotImplementedError: an unknown compression.
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise FileRejected(f"the workbook is damaged or truncated ({error})") from None


def open_workbook(
    path: Path, kind: str, password: str | None, limits: FileLimits
) -> python_calamine.CalamineWorkbook:
    if kind == "ole":
        with path.open("rb") as handle:
            office = msoffcrypto.OfficeFile(handle)
            if office.is_encrypted():
                if not password:
                    raise FileRejected(
                        "the workbook is password-protected; set DANGOL_EXCEL_PASSWORD (or"
                        " ingest.excel_password in dangol.yaml) to the export password"
                    )
                decrypted = io.BytesIO()
                try:
                    office.load_key(password=password)
                    office.decrypt(decrypted)
                except msoffcrypto.exceptions.InvalidKeyError:
                    # Never echo the password: logs and reason files are read by others.
                    raise FileRejected(
                        "the workbook did not open with the configured password"
                        " (DANGOL_EXCEL_PASSWORD or ingest.excel_password)"
                    ) from None
                except Exception as error:
                    raise FileRejected(f"the workbook could not be decrypted: {error}") from None
                check_workbook_size(decrypted.getvalue(), limits)
                decrypted.seek(0)
                return _calamine(decrypted)
    package = path.read_bytes()
    check_workbook_size(package, limits)
    return _calamine(io.BytesIO(package))


def _calamine(data: io.BytesIO) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_filelike(data)
    except Exception as error:  # calamine raises its own error types for damaged files
        raise FileRejected(f"the workbook is damaged or truncated ({error})") from None


def cell_text(value) -> str | None:
    """Excel cell value as the text a CSV export would have held; staging types it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def read_sheets(workbook: python_calamine.CalamineWorkbook, is_header) -> Sheet:
    """The first sheet whose header row (within its top rows) `is_header` accepts, else the
    first sheet with its first non-blank row as header (so the caller can say what it lacks)."""
    fallback = None
    for name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as error:
            raise FileRejected(f"sheet {name!r} cannot be read ({error})") from None
        texts = [[cell_text(v) for v in row] for row in rows]
        for index, row in enumerate(texts[:HEADER_SEARCH_ROWS]):
            header = [(v or "").strip() for v in row]
            if not any(header):
                continue
            if fallback is None:
                fallback = (index, header, texts)
            if is_header(header):
                return _sheet(index, header, texts)
    if fallback is None:
        raise FileRejected("the workbook has no rows; export it again from the source system")
    return _sheet(*fallback)


def _sheet(index: int, header: list[str], texts: list[list[str | None]]) -> Sheet:
    while header and not header[-1]:
        header.pop()
    rows, numbers = [], []
    for offset, row in enumerate(texts[index + 1 :], start=index + 2):
        if any(v is not None and v.strip() for v in row):
            rows.append(row)
            numbers.append(offset)
    return Sheet(header=header, header_row=index + 1, rows=rows, row_numbers=numbers)

"""Oversized and hostile files are quarantined with a reason, within bounded memory and time,
and no reason or error quotes a customer's data (file, line, column and a masked value only).

Each file is real and small: the limits are lowered in the test's settings, as a brand would
set them under `ingest:` in dangol.yaml.
"""

import io
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from ingest.landing import IngestError, ingest_landing
from tests.conftest import FIXTURES, INGEST_SETTINGS

EMAIL = "secret.customer@example.com"
SECONDS = 5  # each file is rejected long before this (a zip bomb unpacked would take far longer)


def limited(**limits) -> object:
    return replace(INGEST_SETTINGS, limits=replace(INGEST_SETTINGS.limits, **limits))


def quarantined(con, landing: Path, family: str, name: str, data: bytes, settings) -> str:
    """Land one file, expect it quarantined quickly; the reason file's text."""
    (landing / family / name).write_bytes(data)
    started = time.monotonic()
    with pytest.raises(IngestError) as error:
        ingest_landing(con, landing, run_id="run-1", settings=settings)
    assert time.monotonic() - started < SECONDS
    assert f"{family}/{name}" in str(error.value) and not (landing / family / name).exists()
    reason = (landing / "_quarantine" / family / f"{name}.reason.txt").read_text("utf-8")
    assert EMAIL not in reason and EMAIL not in str(error.value)
    return reason


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(package: bytes, change) -> bytes:
    """The same workbook with its first sheet's XML changed (what a hostile tool could write)."""
    source, out = zipfile.ZipFile(io.BytesIO(package)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(item.filename, data)
    return out.getvalue()


HEADER, FIRST_CONTACT, *_ = (
    (FIXTURES / "landing" / "crm" / "contacts.csv").read_text("utf-8").split("\n")
)


def contact(name: str = "김민준", email: str = EMAIL) -> str:
    """A CRM contact line of the fixture export, with another name and email."""
    fields = FIRST_CONTACT.split(",")
    fields[1:3] = [name, email]
    return ",".join(fields)


def test_a_zip_bomb_workbook_is_quarantined_before_it_is_unpacked(con, empty_landing: Path):
    # 30 MB of XML whitespace between rows compresses to a few kilobytes.
    bomb = with_sheet_xml(
        workbook([HEADER.split(","), contact().split(",")]),
        lambda xml: xml.replace(b"</sheetData>", b" " * 30_000_000 + b"</sheetData>"),
    )
    assert len(bomb) < 200_000

    reason = quarantined(
        con, empty_landing, "crm", "contacts.xlsx", bomb,
        limited(max_unzipped_workbook_bytes=10_000_000),
    )  # fmt: skip

    assert "unzips to 30,0" in reason and "ingest.max_unzipped_workbook_bytes" in reason


def far_cell(reference: str) -> bytes:
    row = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return f'<row r="{row}"><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()


UNREFERENCED_CELL = b'<c t="inlineStr"><is><t>x</t></is></c>'


@pytest.mark.parametrize(
    ("rows_added", "limit"),
    [
        # 16,384 columns by a million rows: 17 billion cells from two references.
        (far_cell("XFD1048576"), "ingest.max_columns"),
        # 1,000 columns by a million rows.
        (far_cell("ALL1048576"), "ingest.max_sheet_cells"),
        # Cells and rows without references follow the one before: 3,000 cells in a row.
        (b"<row>" + UNREFERENCED_CELL * 3_000 + b"</row>", "ingest.max_columns"),
        # 900 cells wide, 30,000 empty rows, and one cell below them.
        (
            b"<row>" + UNREFERENCED_CELL * 900 + b"</row>" + b"<row/>" * 30_000
            + b"<row>" + UNREFERENCED_CELL + b"</row>",
            "ingest.max_sheet_cells",
        ),
    ],
)  # fmt: skip
def test_a_sheet_spanning_millions_of_empty_cells_is_quarantined(
    con, empty_landing: Path, rows_added: bytes, limit: str
):
    """Cells far apart make calamine allocate the whole range between them; without the check
    this aborts the process (memory allocation of 549,755,813,888 bytes failed)."""
    wide = with_sheet_xml(
        workbook([HEADER.split(","), contact().split(",")]),
        lambda xml: xml.replace(b"</sheetData>", rows_added + b"</sheetData>"),
    )

    reason = quarantined(con, empty_landing, "crm", "contacts.xlsx", wide, INGEST_SETTINGS)

    assert limit in reason and "xl/worksheets/sheet1.xml" in reason


def test_formatting_far_down_the_sheet_is_not_taken_for_a_used_range(con, empty_landing: Path):
    """Excel writes formatted empty cells (<c r=".." s="1"/>); they hold nothing, and the
    workbook is loaded whole."""
    styled = with_sheet_xml(
        workbook([HEADER.split(","), contact().split(",")]),
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
        ),
    )
    (empty_landing / "crm" / "contacts.xlsx").write_bytes(styled)

    report = ingest_landing(con, empty_landing, run_id="run-1", settings=INGEST_SETTINGS)

    assert [(f.status, f.rows_loaded) for f in report.files] == [("loaded", 1)]


def test_a_csv_with_a_multi_megabyte_field_is_quarantined_naming_its_line(con, empty_landing: Path):
    rows = [HEADER, contact(), contact(name=EMAIL + "x" * 5_000_000)]
    data = ("\n".join(rows) + "\n").encode()

    reason = quarantined(
        con, empty_landing, "crm", "contacts.csv", data, limited(max_row_bytes=1_000_000)
    )

    assert "line 3 is longer than ingest.max_row_bytes (1,000,000 bytes)" in reason


@pytest.mark.parametrize(
    ("empty_columns", "expected"),
    [
        (5_000, "the header has 5,014 columns, more than ingest.max_columns (1,000)"),
        (3_000_000, "the first line (the header) is longer than 1,048,576 bytes"),
    ],
)
def test_a_csv_of_millions_of_empty_columns_is_quarantined(
    con, empty_landing: Path, empty_columns: int, expected: str
):
    data = f"{HEADER}{',' * empty_columns}\n{contact()}\n".encode()

    assert expected in quarantined(con, empty_landing, "crm", "contacts.csv", data, INGEST_SETTINGS)


def test_a_broken_row_is_named_by_line_without_quoting_it(con, empty_landing: Path):
    rows = [HEADER, contact(email="minjun@example.com"), contact(name="이서연") + ",one too many"]

    reason = quarantined(
        con, empty_landing, "crm", "contacts.csv", ("\n".join(rows) + "\n").encode(),
        INGEST_SETTINGS,
    )  # fmt: skip

    assert "line 3" in reason and "이서연" not in reason and "010-1234-5678" not in reason


def test_a_file_without_its_header_row_is_not_quoted_back(con, empty_landing: Path):
    """The first row is taken for the header; when it holds a customer, it is shown masked."""
    data = f"{contact()}\n{contact(name='이서연')}\n".encode()

    reason = quarantined(con, empty_landing, "crm", "contacts.csv", data, INGEST_SETTINGS)

    assert "unrecognised crm export" in reason and "is the header row missing?" in reason
    assert "김민준" not in reason and "010-1234-5678" not in reason and "김**" in reason

"""The cells of every spreadsheet a marketer opens (segment lists, added/removed files): text
from data is written as text, never as a formula (OWASP "CSV injection").

Names, notes and handles are typed by customers; Excel evaluates a CSV cell that starts with
`=`, `+`, `-` or `@` (tab and carriage return too, which it strips first), and openpyxl stores
any string that starts with `=` as a formula. Every writer of a spreadsheet goes through
`csv_bytes` / `xlsx_bytes`, so the rule is kept in one place; SECURITY.md explains it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A phone number in E.164 (+ and 7-15 digits) cannot call a function or reference a cell, and
# SMS/Kakao upload tools need it exactly so: it is the one trigger-led text left as it is.
E164_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
# What manifest.json says was applied to the files of a segment list.
NEUTRALISATION = {
    "rule": "OWASP CSV injection",
    "triggers": list(FORMULA_TRIGGERS),
    "csv": (
        "text starting with a trigger is written with a leading apostrophe ('), except an"
        " E.164 phone number (+ and digits only), which is left as it is"
    ),
    "xlsx": (
        "every text cell is a string cell, never a formula; text starting with a trigger is"
        " also quote-prefixed, so editing the cell in Excel keeps it text"
    ),
}


def is_formula_like(value: object) -> bool:
    """Text a spreadsheet could take for a formula (numbers and E.164 phones are not)."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not E164_PHONE.fullmatch(value)
    )


def csv_cell(value: object) -> object:
    """The value as a CSV cell: formula-like text behind an apostrophe, anything else as is."""
    return f"'{value}" if is_formula_like(value) else value


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(name) for name in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    # The BOM makes Excel read UTF-8, so Hangul names survive a double-click.
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    sheet_title: str, header: list[str], rows: list[list], text_columns: Collection[str] = ()
) -> bytes:
    """One sheet; `text_columns` are shown as text even when they look like numbers (phones)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    text_column_numbers = {i for i, name in enumerate(header, start=1) if name in text_columns}
    for row_number, values in enumerate([header, *rows], start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=column)
            if isinstance(value, str):
                # Control characters XML cannot hold would make openpyxl refuse the whole file.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
                cell.data_type = "s"  # openpyxl made "=..." a formula and "#N/A" an error
                cell.quotePrefix = is_formula_like(value)
            else:
                cell.value = value
            if column in text_column_numbers and row_number > 1:
                cell.number_format = "@"  # text: Excel keeps the + and the leading 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def neutralised_cells(rows: list[list]) -> int:
    """How many cells of these rows the writers neutralise."""
    return sum(is_formula_like(value) for row in rows for value in row)

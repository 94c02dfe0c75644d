"""The suppression list is read like every export and its phones normalised like every phone."""

from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from ingest.suppression import SuppressionListError, load_suppression_list
from tests.conftest import INGEST_SETTINGS


def loaded(tmp_path: Path, path: Path) -> list[tuple]:
    """raw.suppression_list after loading `path`, with each phone's E.164 form."""
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        load_suppression_list(con, path, INGEST_SETTINGS)
        return con.execute(
            """
            select entries.line_number, entries.email, numbers.phone_e164
            from raw.suppression_list as entries
            left join raw.phone_numbers as numbers on numbers.phone_raw = entries.phone
            order by entries.line_number
            """
        ).fetchall()


def test_a_list_saved_from_korean_excel_in_cp949_is_read(tmp_path: Path):
    path = tmp_path / "suppression.csv"
    path.write_bytes(
        "이름,이메일,휴대폰\n김민준,A@Example.com ,\n이서연,,010 1000 0005\n".encode("cp949")
    )

    assert loaded(tmp_path, path) == [(2, "A@Example.com ", None), (3, None, "+821010000005")]


def test_utf16_tab_separated_and_utf8_with_bom_are_read(tmp_path: Path):
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("phone\temail\n+82 10-1000-0007\t\n".encode("utf-16"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes("email\n\nb@example.com\n".encode("utf-8-sig"))

    assert loaded(tmp_path, utf16) == [(2, None, "+821010000007")]
    # A blank line is skipped; line numbers stay those of the file.
    assert loaded(tmp_path, bom) == [(3, "b@example.com", None)]


def test_an_excel_workbook_is_read(tmp_path: Path):
    workbook = Workbook()
    workbook.active.append(["수신거부 목록"])
    workbook.active.append(["전화번호"])
    workbook.active.append(["01010000009"])
    path = tmp_path / "suppression.xlsx"
    workbook.save(path)

    assert loaded(tmp_path, path) == [(3, None, "+821010000009")]


def test_the_table_is_the_current_list_and_no_file_means_nobody(tmp_path: Path):
    path = tmp_path / "suppression.csv"
    path.write_text("email\na@example.com\nb@example.com\n", encoding="utf-8")
    assert len(loaded(tmp_path, path)) == 2

    path.write_text("email\nc@example.com\n", encoding="utf-8")
    assert loaded(tmp_path, path) == [(2, "c@example.com", None)]
    assert loaded(tmp_path, tmp_path / "missing.csv") == []


def test_an_entry_that_is_not_a_phone_number_stops_the_run_naming_line_and_column(
    tmp_path: Path,
):
    path = tmp_path / "suppression.csv"
    path.write_text("email,phone\n,010-1000-0005\n,call me\n", encoding="utf-8")

    with pytest.raises(SuppressionListError) as error:
        loaded(tmp_path, path)

    assert str(error.value).startswith(f"{path}, line 3, column phone: 'c*** **' is not a phone")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("name,address\n김민준,서울\n".encode(), "line 1: no email or phone column"),
        # No header row: the first entry is not quoted back, only its shape.
        (b"minjun.kim@example.com\n", "(header: m*****.***@*******.*om (an email or"),
        (b"email\n\xff\xfe\xfa\x00bad", "is binary"),
        ("email\n홍길동@example.com\n".encode() + "김@example.com".encode("cp949"), "mixes"),
    ],
)
def test_an_unreadable_file_is_named_with_what_to_do(tmp_path: Path, content: bytes, named: str):
    path = tmp_path / "suppression.csv"
    path.write_bytes(content)

    with pytest.raises(SuppressionListError) as error:
        loaded(tmp_path, path)

    assert str(error.value).startswith(f"{path}")
    assert named in str(error.value)


def test_a_list_that_changes_encoding_midway_is_named_by_line(tmp_path: Path):
    path = tmp_path / "suppression.csv"
    # Korean text in CP949 past the part ingest samples, then a line in UTF-8.
    head = "이메일\n" + "김민준@example.com\n" * 70_000
    path.write_bytes(head.encode("cp949") + "이서연@example.com\n".encode())

    with pytest.raises(SuppressionListError) as error:
        loaded(tmp_path, path)

    assert f"{path}: line 70002 is not CP949/EUC-KR text" in str(error.value)

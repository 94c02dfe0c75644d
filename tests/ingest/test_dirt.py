"""Each kind of dirt a real landing folder has, with its exact outcome: loaded, rejected row
by row, or quarantined whole with a reason file and a run that fails naming the file."""

import codecs
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from ingest.landing import IngestError, ingest_landing
from tests.conftest import EXPORTS, INGEST_SETTINGS

ORDERS = "orders_export_1.csv"


def count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def contacts_text(landing: Path) -> str:
    return (landing / "crm" / "contacts.csv").read_text("utf-8")


def quarantined(landing: Path, family: str, name: str) -> str:
    """The reason file of a quarantined export; the export itself was moved beside it."""
    folder = landing / "_quarantine" / family
    assert (folder / name).exists()
    assert not (landing / family / name).exists()
    return (folder / f"{name}.reason.txt").read_text("utf-8")


def expect_quarantine(con, landing: Path, family: str, name: str, *phrases: str) -> str:
    with pytest.raises(IngestError) as error:
        ingest_landing(con, landing, run_id="r1", settings=INGEST_SETTINGS)
    message = str(error.value)
    assert f"{family}/{name}" in message
    reason = quarantined(landing, family, name)
    for phrase in phrases:
        assert phrase in message and phrase in reason, phrase
    # Nothing of a quarantined file reaches the raw tables or the ledger.
    assert count(con, f"select count(*) from raw.ingest_files where file_name = '{name}'") == 0
    return message


def test_utf8_with_bom_loads_with_a_clean_first_column(con, fixture_landing):
    path = fixture_landing / "crm" / "contacts.csv"
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())

    ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert con.execute(
        "select file_format, rows_loaded from raw.ingest_files where preset = 'crm_contacts'"
    ).fetchone() == ("csv (UTF-8 with BOM)", 3)
    assert count(con, "select count(contact_id) from raw.crm_contacts") == 3


def test_utf16_excel_unicode_text_tab_separated_loads(con, fixture_landing):
    path = fixture_landing / "crm" / "contacts.csv"
    text = contacts_text(fixture_landing).replace(",", "\t").replace("\n", "\r\n")
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert con.execute(
        "select file_format, rows_read, rows_loaded from raw.ingest_files"
        " where preset = 'crm_contacts'"
    ).fetchone() == ("csv (UTF-16)", 3, 3)
    assert con.execute("select name from raw.crm_contacts order by contact_id").fetchall() == [
        ("김민준",),
        ("이서연",),
        ("정유나",),
    ]


def test_cp949_contacts_load_as_the_same_text(con, fixture_landing):
    path = fixture_landing / "crm" / "contacts.csv"
    path.write_bytes(contacts_text(fixture_landing).encode("cp949"))

    ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert count(con, "select count(*) from raw.crm_contacts where name = '김민준'") == 1


def many_contacts(landing: Path, n: int) -> list[str]:
    """The fixture contacts file repeated to n rows with distinct ids: header first."""
    header, first = contacts_text(landing).splitlines()[:2]
    return [header] + [first.replace("C000001", f"C{i:06d}") for i in range(1, n + 1)]


@pytest.mark.parametrize("rows", [3, 20_000])  # within the sniffed sample, and far beyond it
def test_a_cp949_file_with_utf8_lines_fails_loudly_instead_of_loading_mojibake(
    con, fixture_landing, rows
):
    lines = many_contacts(fixture_landing, rows)
    cut = len(lines) - 2
    (fixture_landing / "crm" / "contacts.csv").write_bytes(
        "\n".join(lines[:cut]).encode("cp949") + ("\n" + "\n".join(lines[cut:])).encode("utf-8")
    )

    message = expect_quarantine(con, fixture_landing, "crm", "contacts.csv", "mixes encodings")
    assert count(con, "select count(*) from raw.crm_contacts") == 0
    if rows == 3:
        assert "line 2 is not UTF-8 text" in message  # the header is plain ASCII


def test_a_small_utf8_file_with_cp949_lines_names_the_first_bad_line(con, fixture_landing):
    path = fixture_landing / "crm" / "contacts.csv"
    lines = contacts_text(fixture_landing).splitlines(keepends=True)
    path.write_bytes("".join(lines[:2]).encode("utf-8") + "".join(lines[2:]).encode("cp949"))

    expect_quarantine(con, fixture_landing, "crm", "contacts.csv", "line 3 is not UTF-8 text")


def test_cp949_lines_deep_in_a_large_utf8_file_are_rejected_not_loaded(con, fixture_landing):
    lines = many_contacts(fixture_landing, 20_000)
    (fixture_landing / "crm" / "contacts.csv").write_bytes(
        "\n".join(lines[:-1500]).encode("utf-8") + ("\n" + "\n".join(lines[-1500:])).encode("cp949")
    )

    expect_quarantine(
        con, fixture_landing, "crm", "contacts.csv", "1500 of 20000 rows", "line 18502",
        "INVALID ENCODING",
    )  # fmt: skip


def test_text_in_an_unsupported_encoding_is_quarantined(con, fixture_landing):
    (fixture_landing / "crm" / "contacts_fr.csv").write_bytes(
        contacts_text(fixture_landing)
        .replace("김민준", "Frédéric Noël")
        .encode("latin-1", "replace")
    )

    expect_quarantine(con, fixture_landing, "crm", "contacts_fr.csv", "line 2 is not UTF-8 text")


def test_binary_junk_is_quarantined(con, fixture_landing):
    (fixture_landing / "shop" / "orders.csv").write_bytes(bytes(range(256)) * 8)

    expect_quarantine(con, fixture_landing, "shop", "orders.csv", "binary")


def test_an_empty_file_is_quarantined(con, fixture_landing):
    (fixture_landing / "crm" / "contacts_empty.csv").write_bytes(b"")

    expect_quarantine(con, fixture_landing, "crm", "contacts_empty.csv", "the file is empty")


def test_a_header_only_file_loads_as_zero_rows_and_is_remembered(con, fixture_landing):
    header = contacts_text(fixture_landing).splitlines()[0]
    (fixture_landing / "crm" / "contacts_none.csv").write_text(header + "\n", "utf-8")

    report = ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    outcome = next(f for f in report.files if f.file.name == "contacts_none.csv")
    assert (outcome.status, outcome.rows_loaded, outcome.rows_rejected) == ("loaded", 0, 0)
    assert con.execute(
        "select rows_read from raw.ingest_files where file_name = 'contacts_none.csv'"
    ).fetchone() == (0,)


def test_a_truncated_small_file_is_quarantined_naming_the_cut_line(con, fixture_landing):
    path = fixture_landing / "shop" / ORDERS
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"#1003") + 40])  # the export stopped mid-line 5

    expect_quarantine(con, fixture_landing, "shop", ORDERS, "1 of 4 rows", "line 5")


def test_a_truncated_large_file_loads_every_whole_row_and_rejects_the_cut_one(con, fixture_landing):
    path = fixture_landing / "crm" / "contacts.csv"
    header, first = contacts_text(fixture_landing).splitlines()[:2]
    rows = [first.replace("C000001", f"C{i:06d}") for i in range(1, 41)]
    text = "\n".join([header, *rows]) + "\n"
    path.write_text(text[: text.rindex("@example.com") + 5], "utf-8")  # cut inside row 40

    ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert con.execute(
        "select rows_read, rows_loaded, rows_rejected from raw.ingest_files"
        " where preset = 'crm_contacts'"
    ).fetchone() == (40, 39, 1)
    assert con.execute("select file_name, line from raw.ingest_rejects").fetchall() == [
        ("contacts.csv", 41)
    ]


def test_a_truncated_workbook_is_quarantined(con, empty_landing):
    data = (EXPORTS / "shop" / "smartstore_orders.xlsx").read_bytes()
    (empty_landing / "shop" / "smartstore_orders.xlsx").write_bytes(data[: len(data) // 2])

    expect_quarantine(con, empty_landing, "shop", "smartstore_orders.xlsx", "damaged or truncated")


def test_a_workbook_that_is_not_a_workbook_is_quarantined(con, empty_landing):
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff")
    (empty_landing / "shop" / "orders.xlsx").write_bytes(junk.getvalue())

    expect_quarantine(con, empty_landing, "shop", "orders.xlsx", "damaged or truncated")


def test_reordered_and_renamed_columns_land_in_the_same_raw_columns(con, fixture_landing):
    lines = contacts_text(fixture_landing).splitlines()
    header = lines[0].split(",")
    order = list(reversed(range(len(header))))
    renamed = {
        "Contact ID": "회원번호",
        "Email Consent": "Email Opt In",
        "SMS Consent": "sms  consent",
    }
    reordered = [
        ",".join(renamed.get(header[i], header[i]) if n == 0 else line.split(",")[i] for i in order)
        for n, line in enumerate(lines)
    ]
    (fixture_landing / "crm" / "contacts.csv").write_text("\n".join(reordered) + "\n", "utf-8")
    expected = {row[0]: row for row in [line.split(",") for line in lines[1:]]}

    ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    loaded = con.execute(
        "select contact_id, email, email_consent, sms_consent, updated_at, _extras"
        " from raw.crm_contacts order by contact_id"
    ).fetchall()
    assert loaded == [(k, v[2], v[4], v[6], v[13], None) for k, v in sorted(expected.items())]


def test_unknown_new_columns_are_kept_and_reported(con, fixture_landing):
    lines = contacts_text(fixture_landing).splitlines()
    text = "\n".join([lines[0] + ",등급,Campaign"] + [line + ",VIP,spring" for line in lines[1:]])
    (fixture_landing / "crm" / "contacts.csv").write_text(text + "\n", "utf-8")

    report = ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    outcome = next(f for f in report.files if f.preset == "crm_contacts")
    assert outcome.unknown_columns == ["등급", "Campaign"]
    assert con.execute(
        "select unknown_columns from raw.ingest_files where preset = 'crm_contacts'"
    ).fetchone() == (["등급", "Campaign"],)
    assert con.execute(
        "select distinct _extras->>'등급', _extras->>'Campaign' from raw.crm_contacts"
    ).fetchall() == [("VIP", "spring")]


def test_a_missing_required_column_quarantines_naming_the_closest_layout(con, fixture_landing):
    lines = contacts_text(fixture_landing).splitlines()
    kept = [i for i, h in enumerate(lines[0].split(",")) if h != "SMS Consent Date"]
    text = "\n".join(",".join(line.split(",")[i] for i in kept) for line in lines)
    (fixture_landing / "crm" / "contacts.csv").write_text(text + "\n", "utf-8")

    expect_quarantine(
        con, fixture_landing, "crm", "contacts.csv", "closest layout is crm_contacts",
        "missing here: SMS Consent Date",
    )  # fmt: skip


def test_the_reject_rate_threshold_is_configurable(con, fixture_landing):
    path = fixture_landing / "crm" / "contacts.csv"
    lines = contacts_text(fixture_landing).splitlines()
    path.write_text("\n".join([*lines, lines[1] + ",extra"]) + "\n", "utf-8")  # 1 of 4 bad

    ingest_landing(
        con, fixture_landing, run_id="r1", settings=replace(INGEST_SETTINGS, max_reject_rate=0.25)
    )
    assert count(con, "select count(*) from raw.ingest_rejects") == 1

    second = duckdb.connect()
    with pytest.raises(IngestError, match=r"1 of 4 rows \(25.0%\)"):
        ingest_landing(
            second,
            fixture_landing,
            run_id="r1",
            settings=replace(INGEST_SETTINGS, max_reject_rate=0.2),
        )
    second.close()


def test_good_files_still_load_beside_a_quarantined_one_and_every_bad_file_is_named(
    con, fixture_landing
):
    (fixture_landing / "shop" / "a_junk.csv").write_bytes(b"\x00\x01\x02" * 100)
    (fixture_landing / "sns" / "empty.csv").write_bytes(b"")

    with pytest.raises(IngestError) as error:
        ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert "2 file(s) quarantined" in str(error.value)
    assert "shop/a_junk.csv" in str(error.value) and "sns/empty.csv" in str(error.value)
    assert count(con, "select count(*) from raw.ingest_files") == 3


def test_a_quarantined_name_already_taken_keeps_both_files(con, fixture_landing):
    for _ in range(2):
        (fixture_landing / "sns" / "empty.csv").write_bytes(b"")
        with pytest.raises(IngestError):
            ingest_landing(con, fixture_landing, run_id="r1", settings=INGEST_SETTINGS)

    names = sorted(p.name for p in (fixture_landing / "_quarantine" / "sns").iterdir())
    assert len(names) == 4
    assert "empty.csv" in names and "empty.csv.reason.txt" in names

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.landing import (
    LINEAGE_COLUMNS,
    IngestError,
    Ledger,
    ensure_raw_schema,
    ingest_landing,
)
from ingest.landing_folder import landing_files
from ingest.presets import load_presets
from tests.conftest import INGEST_SETTINGS


def count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_every_fixture_row_lands_in_its_raw_table_with_lineage(con, fixture_landing: Path):
    report = ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)

    assert [f.status for f in report.files] == ["loaded", "loaded", "loaded"]
    assert count(con, "select count(*) from raw.shopify_orders") == 7  # line-item rows
    assert count(con, "select count(*) from raw.crm_contacts") == 3
    assert count(con, "select count(*) from raw.sns_engagement_events") == 4
    first = con.execute(
        "select name, lineitem_name, _source_file, _source_record, _run_id"
        " from raw.shopify_orders order by _source_record limit 1"
    ).fetchone()
    assert first == ("#1001", "체험 세트 (Trial Kit)", "orders_export_1.csv", 1, "run-1")
    ledger = con.execute(
        "select file_name, preset, rows_read, rows_loaded, rows_rejected"
        " from raw.ingest_files order by ingest_file_seq"
    ).fetchall()
    assert ledger == [
        ("orders_export_1.csv", "shopify_orders", 7, 7, 0),
        ("contacts.csv", "crm_contacts", 3, 3, 0),
        ("engagement_events.csv", "sns_engagement_events", 4, 4, 0),
    ]


def test_each_row_keeps_its_place_in_a_file_read_in_parallel(con, tmp_path: Path):
    # Large enough that DuckDB reads it in chunks on every core: the numbers must still follow
    # the file, since an order's lines are numbered in that order.
    lines = 400_000
    export = tmp_path / "landing" / "shop" / "orders_export_big.csv"
    export.parent.mkdir(parents=True)
    con.execute(
        f"""
        copy (
            select
                '#' || (1000 + n // 3) as "Name",
                'buyer' || n // 3 || '@example.com' as "Email",
                'product ' || n as "Lineitem name",
                1 as "Lineitem quantity",
                '1000.00' as "Lineitem price",
                if(n % 3 = 0, '2026-03-05 14:03:00 +0900', null) as "Created at",
                if(n % 3 = 0, 'paid', null) as "Financial Status",
                if(n % 3 = 0, 5100000000000 + n, null) as "Id",
                'KRW' as "Currency",
                null as "Subtotal",
                null as "Discount Amount",
                null as "Cancelled at",
                null as "Refunded Amount"
            from range({lines}) as t(n)
        ) to '{export}' (header)
        """
    )

    ingest_landing(con, tmp_path / "landing", run_id="run-1", settings=INGEST_SETTINGS)

    misplaced = count(
        con,
        "select count(*) from raw.shopify_orders"
        " where lineitem_name is distinct from 'product ' || (_source_record - 1)",
    )
    assert count(con, "select count(*) from raw.shopify_orders") == lines
    assert misplaced == 0


def test_same_bytes_under_a_new_name_load_once(con, fixture_landing: Path):
    ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)
    shop = fixture_landing / "shop"
    shutil.copy(shop / "orders_export_1.csv", shop / "orders_export_1 (1).csv")

    report = ingest_landing(con, fixture_landing, run_id="run-2", settings=INGEST_SETTINGS)

    assert {f.file.name: f.status for f in report.files}["orders_export_1 (1).csv"] == (
        "already_loaded"
    )
    assert count(con, "select count(*) from raw.shopify_orders") == 7
    assert count(con, "select count(*) from raw.ingest_files") == 3


def test_a_malformed_line_is_rejected_with_its_line_and_reason(con, fixture_landing: Path):
    contacts = fixture_landing / "crm" / "contacts.csv"
    lines = contacts.read_text(encoding="utf-8").splitlines()
    lines.insert(2, lines[2] + ",unexpected")  # line 3 of the file now has 15 fields
    contacts.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # One bad row in four is far above the default 5%; this test is about the reject itself.
    ingest_landing(
        con, fixture_landing, run_id="run-1", settings=replace(INGEST_SETTINGS, max_reject_rate=0.5)
    )

    assert count(con, "select count(*) from raw.crm_contacts") == 3
    reject = con.execute("select file_name, line, reason from raw.ingest_rejects").fetchall()
    assert len(reject) == 1
    file_name, line, reason = reject[0]
    assert (file_name, line) == ("contacts.csv", 3)
    assert "TOO MANY COLUMNS" in reason
    assert con.execute(
        "select rows_read, rows_loaded, rows_rejected from raw.ingest_files"
        " where preset = 'crm_contacts'"
    ).fetchone() == (4, 3, 1)


def test_unknown_columns_are_kept_as_extras(con, fixture_landing: Path):
    events = fixture_landing / "sns" / "engagement_events.csv"
    lines = events.read_text(encoding="utf-8").splitlines()
    events.write_text(
        "\n".join([lines[0] + ",Campaign"] + [line + ",autumn" for line in lines[1:]]) + "\n",
        encoding="utf-8",
    )

    report = ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)

    sns = next(f for f in report.files if f.preset == "sns_engagement_events")
    assert sns.unknown_columns == ["Campaign"]
    extras = con.execute(
        "select distinct _extras->>'Campaign' from raw.sns_engagement_events"
    ).fetchall()
    assert extras == [("autumn",)]


def test_an_unrecognised_file_names_the_closest_layout_and_missing_columns(
    con, fixture_landing: Path
):
    (fixture_landing / "shop" / "orders_export_2.csv").write_text(
        "Name,Email,Created at\n#2001,a@example.com,2026-05-01 10:00:00 +0900\n",
        encoding="utf-8",
    )

    with pytest.raises(IngestError) as error:
        ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)

    message = str(error.value)
    assert "orders_export_2.csv" in message
    assert "shopify_orders" in message
    assert "Financial Status" in message and "Lineitem price" in message


def test_an_empty_file_is_an_error_naming_the_file(con, fixture_landing: Path):
    (fixture_landing / "crm" / "contacts_empty.csv").write_bytes(b"")

    with pytest.raises(IngestError, match=r"contacts_empty\.csv: the file is empty"):
        ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)


def test_excel_lock_files_and_hidden_files_are_not_exports(con, fixture_landing: Path):
    (fixture_landing / "shop" / "~$orders_export_1.csv").write_bytes(b"\x00junk")
    (fixture_landing / "shop" / ".DS_Store").write_bytes(b"\x00junk")

    report = ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)

    assert len(report.files) == 3


def test_only_the_columns_a_file_has_are_stored_and_raw_shows_every_preset_column(
    con, fixture_landing: Path
):
    ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)

    stored = {row[0] for row in con.execute("describe raw_landed.shopify_orders").fetchall()}
    shown = {row[0] for row in con.execute("describe raw.shopify_orders").fetchall()}
    header = (fixture_landing / "shop" / "orders_export_1.csv").read_text("utf-8").split("\n")[0]
    assert len(stored - set(LINEAGE_COLUMNS)) <= len(header.split(","))
    [preset] = [p for p in load_presets() if p.name == "shopify_orders"]
    assert set(preset.raw_columns) | set(LINEAGE_COLUMNS) <= shown
    # A preset column no file had reads as null.
    assert count(con, "select count(*) from raw.shopify_orders where duties is not null") == 0


def test_a_state_from_before_is_moved_into_the_landed_table_with_its_rows(
    con, fixture_landing: Path
):
    ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)
    before = con.execute("select * from raw.shopify_orders order by _source_record").fetchall()
    # The layout earlier releases wrote: raw.shopify_orders a table with every preset column.
    con.execute("create table old_layout as from raw.shopify_orders")
    con.execute("drop view raw.shopify_orders")
    con.execute("drop table raw_landed.shopify_orders")
    con.execute("create table raw.shopify_orders as from old_layout")

    ensure_raw_schema(con)

    after = con.execute("select * from raw.shopify_orders order by _source_record").fetchall()
    assert after == before
    assert count(con, "select count(*) from raw_landed.shopify_orders") == len(before)


def test_a_file_still_as_it_was_loaded_is_known_without_reading_it(con, fixture_landing: Path):
    """The ledger keeps each file's name, size and mtime: a later run knows the unchanged file
    by them, as the nothing-new check does, and reads only files written since."""
    ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)
    export = fixture_landing / "shop" / "orders_export_1.csv"
    landed = export.stat()
    assert con.execute(
        "select file_bytes, file_mtime_ns from raw.ingest_files where file_name = ?", [export.name]
    ).fetchone() == (landed.st_size, landed.st_mtime_ns)

    # The same name, size and mtime with other bytes: taken for the file loaded, not read.
    original = export.read_bytes()
    export.write_bytes(original.replace(b"#1001", b"#9001"))
    os.utime(export, ns=(landed.st_atime_ns, landed.st_mtime_ns))
    unread = ingest_landing(con, fixture_landing, run_id="run-2", settings=INGEST_SETTINGS)

    # Written again (a new mtime), it is read: the same bytes are known by their hash, new
    # bytes load as a new file.
    export.write_bytes(original)
    same_bytes = ingest_landing(con, fixture_landing, run_id="run-3", settings=INGEST_SETTINGS)
    # Read once, the touched file is known by its new mtime from then on.
    assert Ledger.read(con).holds_unchanged(export, export.stat())
    export.write_bytes(original.replace(b"#1001", b"#9001"))
    new_bytes = ingest_landing(con, fixture_landing, run_id="run-4", settings=INGEST_SETTINGS)

    def status(report):
        return {f.file.name: f.status for f in report.files}[export.name]

    assert [status(unread), status(same_bytes), status(new_bytes)] == [
        "already_loaded",
        "already_loaded",
        "loaded",
    ]
    assert count(con, "select count(*) from raw.ingest_files") == 4


def test_a_ledger_from_before_mtimes_were_kept_still_knows_files_by_their_bytes(
    con, fixture_landing: Path
):
    ingest_landing(con, fixture_landing, run_id="run-1", settings=INGEST_SETTINGS)
    con.execute("alter table raw.ingest_files drop column file_mtime_ns")

    report = ingest_landing(con, fixture_landing, run_id="run-2", settings=INGEST_SETTINGS)

    assert {f.status for f in report.files} == {"already_loaded"}
    # Read once more, each file's mtime is learnt, so the next run knows it unread.
    assert count(con, "select count(*) from raw.ingest_files where file_mtime_ns is null") == 0
    ledger = Ledger.read(con)
    assert all(
        ledger.holds_unchanged(path, path.stat()) for _, path in landing_files(fixture_landing)
    )

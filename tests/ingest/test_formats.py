"""Each export format, from its fixture in the real layout, to exact raw rows."""

import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from ingest.landing import IngestError, ingest_landing
from tests.conftest import EXPORTS, INGEST_SETTINGS, SMARTSTORE_PASSWORD


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def drop(landing: Path, family: str, *names: str) -> None:
    for name in names:
        shutil.copy(EXPORTS / family / name, landing / family / name)


def ledger(con) -> list[tuple]:
    return con.execute(
        "select file_name, preset, file_format, rows_read, rows_loaded, rows_rejected"
        " from raw.ingest_files order by ingest_file_seq"
    ).fetchall()


def test_cafe24_cp949_csv_loads_as_korean_text_exactly_as_written(con, empty_landing):
    drop(empty_landing, "shop", "cafe24_orders_20260308.csv")

    ingest_landing(con, empty_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert ledger(con) == [
        ("cafe24_orders_20260308.csv", "cafe24_orders", "csv (CP949/EUC-KR)", 5, 5, 0)
    ]
    rows = con.execute(
        "select order_no, ordered_at, orderer_name, orderer_phone, item_amount, order_status"
        " from raw.cafe24_orders order by _source_record"
    ).fetchall()
    assert rows[1] == (
        "20260306-0000020", "2026. 3. 6. 오후 2:03:00", "이서연", "01022223333", "￦13,900",
        "배송중",
    )  # fmt: skip
    assert [r[4] for r in rows] == ["25,800", "￦13,900", "13,500원", "29,800", "19,800"]
    assert rows[4][1] == "46089.5"  # an Excel serial date, typed in staging


def test_cafe24_xlsx_cells_become_the_text_a_csv_export_would_hold(con, empty_landing):
    drop(empty_landing, "shop", "cafe24_orders_20260310.xlsx")

    ingest_landing(con, empty_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert ledger(con) == [("cafe24_orders_20260310.xlsx", "cafe24_orders", "xlsx", 2, 2, 0)]
    assert con.execute(
        "select order_no, ordered_at, quantity, item_amount, order_total, order_status"
        " from raw.cafe24_orders order by _source_record"
    ).fetchall() == [
        ("20260305-0000012", "2026-03-05 14:03:00", "2", "25800", "28800", "반품완료"),
        ("20260309-0000051", "2026-03-09 21:30:00", "3", "29400", "28400", "배송완료"),
    ]


def test_smartstore_xlsx_loads_one_row_per_product_order(con, empty_landing):
    drop(empty_landing, "shop", "smartstore_orders.xlsx")

    ingest_landing(con, empty_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert ledger(con) == [("smartstore_orders.xlsx", "smartstore_orders", "xlsx", 3, 3, 0)]
    assert con.execute(
        "select product_order_no, order_no, buyer_id, paid_at, item_total, order_status,"
        " claim_status from raw.smartstore_orders order by _source_record"
    ).fetchall() == [
        ("2026030512345601", "2026030512345600", "haeun****", "2026-03-05 10:00:00", "23900",
         "구매확정", None),
        ("2026030512345602", "2026030512345600", "haeun****", "2026-03-05 10:00:00", "39600",
         "반품", "반품완료"),
        ("2026030698765401", "2026030698765400", "jiho****", None, "11900", "결제대기", None),
    ]  # fmt: skip


def test_password_protected_smartstore_opens_with_the_configured_password(con, empty_landing):
    drop(empty_landing, "shop", "smartstore_orders_protected.xlsx")

    ingest_landing(
        con,
        empty_landing,
        run_id="r1",
        settings=replace(INGEST_SETTINGS, excel_password=SMARTSTORE_PASSWORD),
    )

    assert ledger(con) == [
        (
            "smartstore_orders_protected.xlsx",
            "smartstore_orders",
            "xlsx (password-protected)",
            1,
            1,
            0,
        )
    ]
    # The workbook has a title row above its header; the header is found below it.
    assert con.execute("select buyer_name, item_total from raw.smartstore_orders").fetchall() == [
        ("윤서준", "42000")
    ]


@pytest.mark.parametrize("password", [None, "not-the-password"])
def test_a_protected_workbook_that_does_not_open_is_quarantined_without_the_password(
    con, empty_landing, password
):
    drop(empty_landing, "shop", "smartstore_orders_protected.xlsx")

    with pytest.raises(IngestError) as error:
        ingest_landing(
            con,
            empty_landing,
            run_id="r1",
            settings=replace(INGEST_SETTINGS, excel_password=password),
        )

    message = str(error.value)
    assert "smartstore_orders_protected.xlsx" in message
    assert "DANGOL_EXCEL_PASSWORD" in message
    reason = (
        empty_landing / "_quarantine" / "shop" / "smartstore_orders_protected.xlsx.reason.txt"
    ).read_text("utf-8")
    for text in (
        message,
        reason,
        repr(replace(INGEST_SETTINGS, excel_password="not-the-password")),
    ):
        assert "not-the-password" not in text
        assert SMARTSTORE_PASSWORD not in text


def test_shopify_customers_current_and_legacy_layouts_fill_the_same_columns(con, empty_landing):
    drop(empty_landing, "shop", "customers_export.csv", "customers_export_legacy.csv")

    ingest_landing(con, empty_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert [row[:2] for row in ledger(con)] == [
        ("customers_export.csv", "shopify_customers"),
        ("customers_export_legacy.csv", "shopify_customers"),
    ]
    assert con.execute(
        "select customer_id, email, accepts_email_marketing, accepts_sms_marketing,"
        " default_address_address1, default_address_province_code, _extras"
        " from raw.shopify_customers order by _ingest_file_seq, _source_record"
    ).fetchall() == [
        ("7100000000001", "MinJun.Kim@example.com", "yes", "no", "테헤란로 12", "KR-11", None),
        ("7100000000002", "seoyeon.lee@example.com", "no", "yes", "판교역로 5", "KR-41", None),
        (None, "Yuna.Jung@example.org ", "yes", None, "해운대로 7", "KR-26", None),
    ]


def test_crm_and_sns_exports_land_in_their_raw_tables(con, empty_landing):
    drop(empty_landing, "crm", "membership_events.csv", "campaign_events.csv", "coupons.csv")
    drop(empty_landing, "sns", "referrals.csv", "channel_daily_stats.csv")

    ingest_landing(con, empty_landing, run_id="r1", settings=INGEST_SETTINGS)

    assert [(name, preset, read, loaded) for name, preset, _, read, loaded, _ in ledger(con)] == [
        ("campaign_events.csv", "crm_campaign_events", 7, 7),
        ("coupons.csv", "crm_coupons", 2, 2),
        ("membership_events.csv", "crm_membership_events", 5, 5),
        ("channel_daily_stats.csv", "channel_daily_stats", 3, 3),
        ("referrals.csv", "sns_referrals", 2, 2),
    ]
    assert con.execute(
        "select membership, event_type, occurred_at from raw.crm_membership_events"
        " where member_id = 'NB-778' order by _source_record"
    ).fetchall() == [
        ("naver_band", "join", "2026. 3. 7. 오후 9:15:00"),
        ("naver_band", "leave", "2026-05-01 08:00:00"),
    ]
    assert con.execute(
        "select add_to_carts, cost from raw.channel_daily_stats order by _source_record limit 1"
    ).fetchone() == ("31", "₩96,000")

import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from data_quality.gate import run_audit
from data_quality.suites import ERROR, WARN, Threshold
from data_quality.verdicts import Verdict
from orchestration.config import QualityConfig, RfmConfig
from tests.conftest import duckdb_resources

DEFAULTS = QualityConfig().thresholds(RfmConfig().score_bins)
# The fixture's newest order is from March 2026: a freshness limit that always passes.
LENIENT = replace(DEFAULTS, max_days_since_last_order=Threshold(100_000, ERROR))


def audit(build_db: Path, thresholds=LENIENT, published: Path | None = None, report=None):
    resources = duckdb_resources(build_db.parent)
    report = run_audit(build_db, thresholds, ["shopify_orders"], resources, published, report)
    return report, {a.target.name: a for a in report.audits}


def execute(db: Path, sql: str) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(sql)


def test_a_clean_build_passes_every_check_and_writes_data_docs(build_db: Path, tmp_path: Path):
    report, audits = audit(build_db, report=tmp_path / "quality")

    assert report.passed
    assert all(not a.failures for a in audits.values())
    assert audits["marts.fct_orders.anomalies_vs_last_release"].skipped  # nothing published yet
    assert audits["marts.fct_orders.great_expectations_suite"].rows == 2
    assert report.data_docs == tmp_path / "quality" / "index.html"
    validations = list((tmp_path / "quality" / "validations").rglob("*.html"))
    assert len(validations) == len(audits) - 1
    assert report.summary().startswith(f"All {len(audits)} quality checks passed.")


DUPLICATE_ORDER_WITH_NEGATIVE_REVENUE = (
    "insert into marts.fct_orders values ('shopify-1', 'c1',"
    " timestamptz '2026-03-03 10:00:00+09', 'paid', 'KRW', 100, -50, 1, true, date '2026-03-03')"
)


def test_negative_revenue_blocks(build_db: Path):
    # The duplicate order id is dbt's to catch (tests/data_quality/test_check_owners.py).
    execute(build_db, DUPLICATE_ORDER_WITH_NEGATIVE_REVENUE)

    report, audits = audit(build_db)

    fct_orders = audits["marts.fct_orders.great_expectations_suite"]
    assert not report.passed and fct_orders.verdict == Verdict.BLOCKED
    assert {(f.expectation, f.column) for f in fct_orders.blocking_failures} == {
        ("expect_column_values_to_be_between", "net_amount")
    }
    assert not fct_orders.anomaly_blocked
    assert "marts.fct_orders.great_expectations_suite" in report.summary()


def test_a_cent_lost_between_an_order_and_its_lines_blocks(build_db: Path):
    execute(build_db, "update marts.fct_order_lines set net_amount = 2999.99 where quantity = 2")

    report, audits = audit(build_db)

    lines = audits["marts.fct_order_lines.great_expectations_suite"]
    assert not report.passed
    assert {(f.expectation, f.column) for f in lines.blocking_failures} == {
        ("expect_column_pair_values_to_be_equal", "order_net_amount")
    }


def test_an_order_whose_subtotal_disagrees_with_its_lines_warns_with_an_example(
    build_db: Path,
):
    # Lines 5,000 + 2 x 2,500 less 1,000 discount: 9,000; the export says 8,000.
    execute(build_db, "update staging.stg_shopify__orders set subtotal_amount = 8000.00")

    report, audits = audit(build_db)

    subtotal = audits["staging.stg_shopify__orders.subtotal_matches_lines"]
    assert report.passed and subtotal.verdict == Verdict.WARNED
    [failure] = subtotal.failures
    assert failure.unexpected_count == 1 and failure.sample == ["shopify-1 (#1001)"]
    assert "1 rows, e.g. ['shopify-1 (#1001)']" in report.summary()


def test_a_purchase_missing_from_the_channels_blocks(build_db: Path):
    execute(build_db, "update marts.fct_channel_daily set orders_count = 0")

    _, audits = audit(build_db)

    [failure] = audits["marts.fct_channel_daily.great_expectations_suite"].blocking_failures
    assert failure.column == "purchases"


def test_revenue_lost_between_facts_and_customers_blocks(build_db: Path):
    execute(
        build_db, "update marts.dim_customers set net_revenue = 8999.99 where customer_id = 'c1'"
    )

    _, audits = audit(build_db)

    [failure] = audits["marts.dim_customers.great_expectations_suite"].blocking_failures
    assert failure.expectation == "expect_column_pair_values_to_be_equal"


def test_loyalty_marts_that_lose_customers_or_revenue_block(build_db: Path):
    execute(build_db, "update marts.revenue_concentration_summary set total_net_revenue = 8000")
    execute(build_db, "update marts.cohort_retention set retention_rate = 1.5")
    execute(build_db, "insert into marts.cohort_retention values (date '2026-04-01', 0, 1, 1.0)")
    execute(build_db, "delete from marts.customer_ltv")

    _, audits = audit(build_db)

    summary = audits["marts.revenue_concentration_summary.great_expectations_suite"]
    assert [f.column for f in summary.blocking_failures] == ["total_net_revenue"]
    cohorts = audits["marts.cohort_retention.great_expectations_suite"]
    assert {f.column for f in cohorts.blocking_failures} == {"retention_rate", "cohort_customers"}
    ltv = audits["marts.customer_ltv.great_expectations_suite"]
    assert [f.expectation for f in ltv.blocking_failures] == [
        "expect_column_pair_values_to_be_equal"
    ]


def test_lost_events_misattributed_orders_unstaged_customers_and_lapsed_vips_block(
    build_db: Path,
):
    execute(build_db, "delete from marts.fct_engagement_events where event_id = 'e2'")
    execute(build_db, "update marts.fct_orders set customer_id = 'c9' where order_id = 'shopify-2'")
    execute(build_db, "update marts.customer_loyalty set is_loyal = true where customer_id = 'c1'")
    execute(build_db, "delete from marts.flywheel_stages where customer_id = 'c2'")
    execute(build_db, "update marts.customer_ltv set is_lapsed = true where customer_id = 'c1'")

    _, audits = audit(build_db)

    events = audits["marts.fct_engagement_events.great_expectations_suite"]
    assert {f.column for f in events.blocking_failures} == {"loaded_events", "orders"}
    loyalty = audits["marts.customer_loyalty.great_expectations_suite"]
    assert {f.column for f in loyalty.blocking_failures} == {
        "loyal_buys_again",
        "customers",
        "vip_is_not_lapsed",
    }


@pytest.mark.parametrize(
    ("mart", "failing_column"),
    [
        ("dim_customers", "orders_net_revenue"),
        ("customer_rfm", "buyers"),
        ("revenue_concentration_summary", "total_net_revenue"),
        ("fct_engagement_events", "loaded_events"),
        ("customer_loyalty", "customers"),
    ],
)
def test_a_mart_emptied_whole_blocks_instead_of_passing_with_no_rows(
    build_db: Path, mart: str, failing_column: str
):
    # A check that compares a mart with its sources must still see a row when the mart lost
    # every one: a suite over no rows would pass whatever it expects.
    execute(build_db, f"delete from marts.{mart}")

    report, audits = audit(build_db)

    suite = audits[f"marts.{mart}.great_expectations_suite"]
    assert not report.passed
    assert failing_column in {f.column for f in suite.blocking_failures}


def test_a_row_missing_from_a_raw_table_blocks(build_db: Path):
    execute(build_db, "delete from raw.shopify_orders where rowid = 0")

    _, audits = audit(build_db)

    assert not audits["raw.shopify_orders.rows_match_ingest_ledger"].passed


def test_negative_quantities_implausible_amounts_and_future_dates_block(build_db: Path):
    execute(
        build_db, "insert into staging.stg_shopify__order_lines values ('shopify-3', 1, -1, 100)"
    )
    execute(
        build_db,
        "insert into staging.stg_shopify__orders values"
        " ('shopify-3', '#1003', 1, now() + interval 30 day, 900000000, 0, 0)",
    )

    _, audits = audit(build_db)

    lines = audits["staging.stg_shopify__order_lines.great_expectations_suite"]
    assert [f.column for f in lines.blocking_failures] == ["quantity"]
    orders = audits["staging.stg_shopify__orders.great_expectations_suite"]
    assert {f.column for f in orders.blocking_failures} == {"minutes_in_future", "subtotal_amount"}
    # The order 30 days ahead, not the orders of March 2026.
    [future] = [f for f in orders.blocking_failures if f.column == "minutes_in_future"]
    assert future.unexpected_count == 1


def test_staging_rows_are_audited_by_the_run_that_parsed_them(build_db: Path):
    """A bad line from a file an earlier run parsed passed that run's gate (or that run never
    published): the history is not audited again. The same line in this run's file blocks."""
    execute(
        build_db,
        "create schema meta;"
        " create table meta.incremental_history as select 'f' as fingerprint,"
        " 1::bigint as parsed_after_file_seq;"
        " insert into staging.stg_shopify__order_lines values ('shopify-1', 1, -1, 100)",
    )

    _, audits = audit(build_db)
    lines = audits["staging.stg_shopify__order_lines.great_expectations_suite"]
    assert lines.passed and lines.rows == 0

    execute(
        build_db, "insert into staging.stg_shopify__order_lines values ('shopify-3', 2, -1, 100)"
    )
    _, audits = audit(build_db)
    lines = audits["staging.stg_shopify__order_lines.great_expectations_suite"]
    assert [f.column for f in lines.blocking_failures] == ["quantity"] and lines.rows == 1


def test_order_facts_are_audited_by_the_run_that_parsed_their_latest_version(build_db: Path):
    """An order from a file an earlier run parsed passed that run's checks: its row and lines
    are not fetched again while the checks stay the same. Checks the history has not passed (a
    tightened limit, a state from before) audit every order once."""
    execute(
        build_db,
        "create schema meta;"
        " create table meta.incremental_history as select 'f' as fingerprint,"
        " 1::bigint as parsed_after_file_seq;",
    )
    orders, lines = (
        "marts.fct_orders.great_expectations_suite",
        ("marts.fct_order_lines.great_expectations_suite"),
    )
    # Nothing says which checks the history passed: every order, and now it says.
    _, audits = audit(build_db)
    assert audits[orders].rows == 2 and audits[lines].rows == 2

    execute(build_db, "update marts.fct_order_lines set net_amount = 2999.99 where quantity = 2")
    report, audits = audit(build_db)
    assert report.passed and audits[orders].rows == 0 and audits[lines].rows == 0

    tightened = replace(LENIENT, max_line_quantity=LENIENT.max_line_quantity - 1)
    report, audits = audit(build_db, tightened)
    assert not report.passed and audits[lines].rows == 2
    assert [f.column for f in audits[lines].blocking_failures] == ["order_net_amount"]

    # The blocked build recorded nothing: at the old limit, the orders of this run's file.
    execute(build_db, "update intermediate.int_orders_deduplicated set ingest_file_seq = 2")
    report, audits = audit(build_db)
    assert not report.passed and audits[orders].rows == 2


def test_stale_data_warns_by_default_and_blocks_when_the_brand_says_so(build_db: Path):
    warn_only, audits = audit(build_db, DEFAULTS)
    freshness = audits["marts.fct_orders.freshness"]
    assert warn_only.passed and [f.severity for f in freshness.failures] == [WARN]
    assert freshness.verdict == Verdict.WARNED
    assert warn_only.summary().startswith("Passed with warnings")

    strict = replace(LENIENT, max_days_since_last_order=Threshold(7, ERROR))
    blocked, _ = audit(build_db, strict)
    assert not blocked.passed


def test_a_drop_in_orders_against_the_published_release_blocks(build_db: Path, tmp_path: Path):
    published = tmp_path / "published.duckdb"
    shutil.copy(build_db, published)
    execute(build_db, "delete from marts.fct_orders where order_id = 'shopify-2'")
    execute(build_db, "update marts.dim_customers set net_revenue = 0 where customer_id = 'c2'")

    _, audits = audit(build_db, published=published)

    anomalies = audits["marts.fct_orders.anomalies_vs_last_release"]
    assert not anomalies.passed and anomalies.anomaly_blocked
    assert [f.column for f in anomalies.blocking_failures] == ["order_count_drop_pct"]
    assert anomalies.rows == 1


def test_an_expected_change_accepted_as_such_only_warns(build_db: Path, tmp_path: Path):
    published = tmp_path / "published.duckdb"
    shutil.copy(build_db, published)
    execute(build_db, "delete from marts.fct_orders where order_id = 'shopify-2'")
    execute(build_db, "update marts.dim_customers set net_revenue = 0 where customer_id = 'c2'")

    report, audits = audit(build_db, LENIENT.accepting_anomalies(), published=published)

    anomalies = audits["marts.fct_orders.anomalies_vs_last_release"]
    assert report.passed and anomalies.verdict == Verdict.WARNED
    assert not anomalies.anomaly_blocked


def test_a_failing_text_value_is_never_shown_in_messages_or_data_docs(
    build_db: Path, tmp_path: Path
):
    """A text column's failing values may be a person's: the check says how many rows and
    where, never the values, in its summary and in the Data Docs HTML."""
    execute(build_db, "update marts.fct_orders set currency = 'minjun.kim@example.com'")

    report, audits = audit(build_db, report=tmp_path / "quality")

    (failure,) = audits["marts.fct_orders.great_expectations_suite"].blocking_failures
    assert (failure.column, failure.unexpected_count, failure.sample) == ("currency", 2, [])
    assert "currency (2 rows)" in report.summary()
    pages = [p.read_text("utf-8") for p in (tmp_path / "quality").rglob("*.html")]
    assert any("currency" in p and "Unsuccessful Expectations" in p for p in pages)
    assert not [p for p in pages if "minjun" in p or "example.com" in p]


def test_predicted_values_out_of_range_or_doubled_block(build_db: Path):
    execute(build_db, "insert into marts.customer_clv values ('c1', 1.2, 0.5, 0.4, -1, 0, 11)")

    report, audits = audit(build_db)

    clv = audits["marts.customer_clv.great_expectations_suite"]
    assert not report.passed and clv.verdict == Verdict.BLOCKED
    assert {f.column for f in clv.blocking_failures} == {
        "p_alive",
        "expected_average_order_value",
        "predicted_clv_decile",
        "grows_with_time",
        "every_buyer_scored_once",
    }


def test_no_prediction_publishes_with_a_warning_naming_the_reason(build_db: Path):
    execute(build_db, "delete from marts.customer_clv")
    reason = "too few buyers: 12 (clv.min_buyers: 500)"
    execute(
        build_db,
        f"update marts.clv_model_status set predicted = false, reason = '{reason}',"
        " backtested = false, backtest_reason = 'no prediction to backtest'",
    )

    report, audits = audit(build_db)

    fitted = audits["marts.clv_model_fit.model_fitted"]
    assert report.passed and fitted.verdict == Verdict.WARNED
    assert audits["marts.customer_clv.great_expectations_suite"].passed
    assert reason in report.summary()


def test_a_target_that_cannot_be_read_fails_the_audit_and_lets_go_of_the_build(build_db: Path):
    # Targets are read ahead, in a thread of their own, while earlier ones are checked: a read
    # that fails is the audit's error, and no reader is left holding the build open.
    execute(build_db, "drop table marts.customer_rfm")

    with pytest.raises(duckdb.CatalogException, match="customer_rfm"):
        audit(build_db)

    execute(build_db, "create table marts.written_after_the_audit as select 1 as x")


def test_the_audit_spends_no_time_fingerprinting_the_rows_it_checks(
    build_db: Path, monkeypatch: pytest.MonkeyPatch
):
    # GX hashes every value of each batch under a size threshold for a marker nothing reads
    # (6.8 s of a 10M-line first run's models gate); the gate turns that off.
    from great_expectations.execution_engine import pandas_execution_engine

    fingerprinted = []
    fingerprint = pandas_execution_engine.hash_pandas_dataframe
    monkeypatch.setattr(
        pandas_execution_engine,
        "hash_pandas_dataframe",
        lambda frame: fingerprinted.append(len(frame)) or fingerprint(frame),
    )

    report, audits = audit(build_db)

    assert report.passed
    assert audits["marts.fct_orders.great_expectations_suite"].rows == 2
    assert fingerprinted == []

from pathlib import Path

import duckdb

from data_quality.gate import audit_marts


def audits_by_table(build_db: Path):
    return {audit.table: audit for audit in audit_marts(build_db)}


def test_clean_marts_pass_every_suite(build_db: Path):
    audits = audits_by_table(build_db)

    assert set(audits) == {
        "marts.fct_orders",
        "marts.dim_customers",
        "marts.customer_rfm",
        "marts.segment_members",
    }
    assert all(audit.passed and not audit.failures for audit in audits.values())
    assert audits["marts.fct_orders"].rows == 2


def test_duplicate_order_ids_and_negative_revenue_block(build_db: Path):
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "insert into marts.fct_orders values ('shopify-1', 'c1',"
            " timestamptz '2026-03-03 10:00:00+09', 'paid', 'KRW', 100, -50, 1)"
        )

    fct_orders = audits_by_table(build_db)["marts.fct_orders"]

    assert not fct_orders.passed
    failed = {(f.expectation, f.column) for f in fct_orders.blocking_failures}
    assert ("expect_column_values_to_be_unique", "order_id") in failed
    assert ("expect_column_values_to_be_between", "net_amount") in failed
    assert "order_id" in fct_orders.summary()


def test_revenue_lost_between_facts_and_customers_blocks(build_db: Path):
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.dim_customers set net_revenue = 8999.99 where customer_id = 'c1'")

    dim_customers = audits_by_table(build_db)["marts.dim_customers"]

    assert not dim_customers.passed
    assert [f.expectation for f in dim_customers.blocking_failures] == [
        "expect_column_sum_to_be_between"
    ]

"""Each check has one owner: dbt tests the row and schema rules, the suites everything else."""

import json
from pathlib import Path

import duckdb

from data_quality.gate import gx_expectation
from data_quality.suites import audit_targets
from tests.conftest import dbt_like_a_run
from tests.data_quality.test_gate import DEFAULTS, DUPLICATE_ORDER_WITH_NEGATIVE_REVENUE
from tests.dbt_project.column_tests import dbt_tests_by_column

# The row rules the suites once checked too: dbt must keep testing every one of them.
DBT_OWNS = {
    ("stg_shopify__orders", "order_id"): {"not_null"},
    ("stg_shopify__orders", "ordered_at"): {"not_null"},
    ("fct_orders", "order_id"): {"unique", "not_null"},
    ("fct_orders", "customer_id"): {"not_null"},
    ("fct_orders", "status"): {"accepted_values"},
    ("dim_customers", "customer_id"): {"unique", "not_null"},
    ("customer_rfm", "customer_id"): {"unique"},
    ("customer_rfm", "rfm_segment"): {"not_null", "relationships"},
    ("customer_ltv", "customer_id"): {"unique"},
    ("fct_engagement_events", "event_id"): {"unique"},
    ("customer_loyalty", "customer_id"): {"unique"},
    ("segment_members", "customer_id"): {"not_null"},
    ("segment_members", "channel"): {"accepted_values"},
}
ROW_RULE_EXPECTATIONS = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
}


def test_dbt_tests_every_row_rule_and_the_suites_test_none():
    tests = {
        (unique_id.split(".")[-1], column): names
        for (unique_id, column), names in dbt_tests_by_column().items()
    }

    missing = {key: rules - tests.get(key, set()) for key, rules in DBT_OWNS.items()}
    assert not {key: rules for key, rules in missing.items() if rules}
    for target in audit_targets(DEFAULTS, ["shopify_orders"]):
        for expectation in target.expectations:
            # As great-expectations knows it: the suites name an expectation by its class.
            made = gx_expectation(expectation)
            assert made.expectation_type not in ROW_RULE_EXPECTATIONS, target.name


def test_dbt_catches_a_duplicate_order_the_suites_leave_to_it(build_db: Path, tmp_path: Path):
    with duckdb.connect(str(build_db)) as con:
        con.execute(DUPLICATE_ORDER_WITH_NEGATIVE_REVENUE)

    dbt_like_a_run(
        # fct_orders' own tests: not those of models the small build does not hold that only
        # look up orders in it (fct_order_lines' relationship test).
        ["test", "--select", "fct_orders,test_type:data", "--indirect-selection", "cautious"],
        build_db,
        tmp_path / "target",
        capture_output=True,
    )

    results = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))
    failed = {r["unique_id"].split(".")[2] for r in results["results"] if r["status"] != "pass"}
    assert failed == {"column_rules_fct_orders"}

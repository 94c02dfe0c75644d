"""A model's column rules (dbt_project/macros/tests/column_rules.sql), run by real dbt on a real
build: one test fails for every never-null column with nulls, key found twice and column holding
a value it may not, and its own rows say which rule, which column and how many rows
(data_quality/dbt_tests.py), as the run's outcome shows them."""

import json
import subprocess
from pathlib import Path

import duckdb

from data_quality.dbt_tests import BrokenRule, broken_rules
from orchestration.manifest import DBT_MANIFEST
from tests.conftest import dbt_like_a_run


def unique_id_of(name: str) -> str:
    nodes = json.loads(DBT_MANIFEST.read_text(encoding="utf-8"))["nodes"]
    return next(unique_id for unique_id, node in nodes.items() if node["name"] == name)


def dbt_test(build_db: Path, target: Path) -> subprocess.CompletedProcess:
    return dbt_like_a_run(
        ["test", "--select", "column_rules_fct_orders"],
        build_db,
        target,
        capture_output=True,
        text=True,
    )


def test_one_test_names_every_broken_rule_and_column(build_db: Path, tmp_path: Path):
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.fct_orders set status = 'lost' where order_id = 'shopify-1'")
        con.execute("update marts.fct_orders set customer_id = null where order_id = 'shopify-2'")
        # Twice the same order, a key found more than once; a null status is not a wrong value.
        con.execute("insert into marts.fct_orders select * from marts.fct_orders")
        con.execute("update marts.fct_orders set status = null where customer_id is null")

    result = dbt_test(build_db, tmp_path / "target")

    assert result.returncode == 1
    assert "FAIL 4 column_rules_fct_orders" in result.stdout
    found = broken_rules(
        DBT_MANIFEST, unique_id_of("column_rules_fct_orders"), tmp_path / "target", build_db, None
    )
    assert sorted(found, key=str) == [
        BrokenRule("not_null", "customer_id", 2),
        BrokenRule("unique", "order_id", 2),
        BrokenRule("not_null", "status", 2),
        BrokenRule("accepted_values", "status", 2),
    ]
    assert sorted(map(str, found)) == [
        "customer_id: 2 null rows",
        "order_id: 2 keys found more than once",
        "status: 2 null rows",
        "status: 2 rows with a value not accepted",
    ]


def test_it_passes_when_every_rule_holds_and_says_nothing_of_other_tests(
    build_db: Path, tmp_path: Path
):
    result = dbt_test(build_db, tmp_path / "target")

    assert result.returncode == 0, result.stdout
    rules = unique_id_of("column_rules_fct_orders")
    assert broken_rules(DBT_MANIFEST, rules, tmp_path / "target", build_db, None) == []
    other = unique_id_of("relationships_fct_orders_customer_id__customer_id__ref_dim_customers_")
    assert broken_rules(DBT_MANIFEST, other, tmp_path / "target", build_db, None) is None

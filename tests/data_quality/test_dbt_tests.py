"""A model's not-null test (dbt_project/macros/tests/not_null_columns.sql), run by real dbt on a
real build: one test fails for every never-null column that has nulls, and its own rows say
which columns and how many rows (data_quality/dbt_tests.py), as the run's outcome shows them."""

import json
import subprocess
from pathlib import Path

import duckdb

from data_quality.dbt_tests import NullColumn, null_columns
from orchestration.manifest import DBT_MANIFEST
from tests.conftest import dbt_like_a_run


def unique_id_of(name: str) -> str:
    nodes = json.loads(DBT_MANIFEST.read_text(encoding="utf-8"))["nodes"]
    return next(unique_id for unique_id, node in nodes.items() if node["name"] == name)


def dbt_test(build_db: Path, target: Path) -> subprocess.CompletedProcess:
    return dbt_like_a_run(
        ["test", "--select", "not_null_fct_orders"],
        build_db,
        target,
        capture_output=True,
        text=True,
    )


def test_one_test_names_every_column_with_nulls(build_db: Path, tmp_path: Path):
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.fct_orders set status = null")
        con.execute("update marts.fct_orders set customer_id = null where order_id = 'shopify-2'")

    result = dbt_test(build_db, tmp_path / "target")

    assert result.returncode == 1
    assert "FAIL 2 not_null_fct_orders" in result.stdout
    found = null_columns(
        DBT_MANIFEST, unique_id_of("not_null_fct_orders"), tmp_path / "target", build_db, None
    )
    assert found == [NullColumn("customer_id", 1), NullColumn("status", 2)]
    assert [str(column) for column in found] == ["customer_id: 1 null row", "status: 2 null rows"]


def test_it_passes_without_nulls_and_says_nothing_of_other_tests(build_db: Path, tmp_path: Path):
    result = dbt_test(build_db, tmp_path / "target")

    assert result.returncode == 0, result.stdout
    assert (
        null_columns(
            DBT_MANIFEST, unique_id_of("not_null_fct_orders"), tmp_path / "target", build_db, None
        )
        == []
    )
    other = unique_id_of("unique_fct_orders_order_id")
    assert null_columns(DBT_MANIFEST, other, tmp_path / "target", build_db, None) is None

"""DuckDB builds the marts without their contracts' primary keys (macros/contract_constraints.sql):
the key is then proven by dbt tests alone, so every key must keep them."""

import json

import duckdb

from orchestration.manifest import DBT_MANIFEST
from tests.dbt_project.column_tests import dbt_tests_by_column

# unique_where_written proves a key as dbt's unique does, build after build: each build tests
# the keys it wrote against the whole table, and a full refresh or `dbt test` every key.
UNIQUE_TESTS = {"unique", "unique_where_written"}


def contract_keys() -> list[tuple[str, str]]:
    """(model unique_id, column) of every primary key a model contract declares."""
    manifest = json.loads(DBT_MANIFEST.read_text(encoding="utf-8"))
    return [
        (unique_id, column)
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        for column, spec in node["columns"].items()
        if any(c["type"] == "primary_key" for c in spec.get("constraints", []))
    ]


def test_every_contract_primary_key_is_tested_unique_and_not_null():
    tests = dbt_tests_by_column()
    keys = contract_keys()

    assert ("model.dangol.fct_order_lines", "order_line_id") in keys
    untested = [
        key
        for key in keys
        if "not_null" not in tests.get(key, set()) or not UNIQUE_TESTS & tests.get(key, set())
    ]
    assert untested == []


def test_duckdb_builds_the_marts_without_the_key_index(fixture_release):
    keyed_models = sorted({unique_id.split(".")[-1] for unique_id, _ in contract_keys()})
    # The state is the last published build, as dbt left it.
    with duckdb.connect(str(fixture_release.state_db), read_only=True) as con:
        indexed = con.execute(
            "select table_name from duckdb_constraints()"
            " where constraint_type = 'PRIMARY KEY' and list_contains(?, table_name)",
            [keyed_models],
        ).fetchall()
        built = con.execute(
            "select count(*) from duckdb_tables() where list_contains(?, table_name)",
            [keyed_models],
        ).fetchone()[0]
    assert built == len(keyed_models) and indexed == []

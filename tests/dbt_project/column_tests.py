"""Which dbt test proves what of which column, read from dbt's manifest."""

import json

from orchestration.manifest import DBT_MANIFEST


def dbt_tests_by_column() -> dict[tuple[str, str], set[str]]:
    """(model unique_id, column) -> the generic tests on it. A model's not_null_columns test
    (macros/tests/not_null_columns.sql) proves not_null of each column it lists."""
    manifest = json.loads(DBT_MANIFEST.read_text(encoding="utf-8"))
    tests: dict[tuple[str, str], set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        name, kwargs = node["test_metadata"]["name"], node["test_metadata"]["kwargs"]
        if name == "not_null_columns":
            for column in kwargs["columns"]:
                tests.setdefault((node["attached_node"], column), set()).add("not_null")
        else:
            tests.setdefault((node["attached_node"], node["column_name"]), set()).add(name)
    return tests

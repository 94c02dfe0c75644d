"""Which dbt test proves what of which column, read from dbt's manifest."""

import json

from orchestration.manifest import DBT_MANIFEST


def dbt_tests_by_column() -> dict[tuple[str, str], set[str]]:
    """(model unique_id, column) -> the generic tests on it. A model's column_rules test
    (macros/tests/column_rules.sql) proves not_null, unique and accepted_values of the columns
    it lists under each; a key of several columns is unique_combination_of_columns of each."""
    manifest = json.loads(DBT_MANIFEST.read_text(encoding="utf-8"))
    tests: dict[tuple[str, str], set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        name, kwargs = node["test_metadata"]["name"], node["test_metadata"]["kwargs"]
        if name == "column_rules":
            for column in kwargs.get("not_null", []):
                tests.setdefault((node["attached_node"], column), set()).add("not_null")
            for key in kwargs.get("unique", []):
                rule = "unique" if isinstance(key, str) else "unique_combination_of_columns"
                for column in [key] if isinstance(key, str) else key:
                    tests.setdefault((node["attached_node"], column), set()).add(rule)
            for column in kwargs.get("accepted_values", {}):
                tests.setdefault((node["attached_node"], column), set()).add("accepted_values")
        else:
            tests.setdefault((node["attached_node"], node["column_name"]), set()).add(name)
    return tests

"""What a failed dbt test found, in words for the run's outcome.

dbt reports a failed test as a count ("Got 2 results"). A model's column rules
(dbt_project/macros/tests/column_rules.sql) are one test for all its never-null columns, unique
keys and accepted values, so the count alone no longer says which rule failed: its own result
rows do (rule, column, rows that break it), and they hold no customer data, so they may go into
alerts and `dangol status`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from publish.duckdb_files import DuckDBResources, connect

COLUMN_RULES_TEST = "column_rules"

_BROKEN = {
    "not_null": ("null row", "null rows"),
    "unique": ("key found more than once", "keys found more than once"),
    "accepted_values": ("row with a value not accepted", "rows with a value not accepted"),
}


@dataclass(frozen=True)
class BrokenRule:
    rule: str  # not_null, unique or accepted_values
    column: str  # the column, or the columns of a key ("customer_id, channel")
    rows: int

    def __str__(self) -> str:
        one, many = _BROKEN.get(self.rule, (f"row breaking {self.rule}",) * 2)
        return f"{self.column}: {self.rows:,} {one if self.rows == 1 else many}"


def broken_rules(
    manifest_path: Path,
    unique_id: str,
    target: Path,
    build_db: Path,
    resources: DuckDBResources | None,
) -> list[BrokenRule] | None:
    """The rules a failed column-rules test found broken (None for any other test): its
    compiled SQL, in the run's target folder, run on the build once dbt has closed it."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    node = manifest["nodes"].get(unique_id, {})
    if node.get("test_metadata", {}).get("name") != COLUMN_RULES_TEST:
        return None
    compiled = target / "compiled" / node["package_name"] / node["original_file_path"]
    sql = (compiled / f"{node['name']}.sql").read_text(encoding="utf-8")
    with connect(build_db, resources, read_only=True) as con:
        rows = con.execute(sql).fetchall()
    return [BrokenRule(rule, column, int(count)) for rule, column, count in rows]

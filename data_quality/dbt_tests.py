"""What a failed dbt test found, in words for the run's outcome.

dbt reports a failed test as a count ("Got 2 results"). A model's not-null test
(dbt_project/macros/tests/not_null_columns.sql) covers all its never-null columns at once, so
the count alone no longer says which column failed: its own result rows do (column name, null
rows), and they hold no customer data, so they may go into alerts and `dangol status`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from publish.duckdb_files import DuckDBResources, connect

NOT_NULL_TEST = "not_null_columns"


@dataclass(frozen=True)
class NullColumn:
    column: str
    null_rows: int

    def __str__(self) -> str:
        return f"{self.column}: {self.null_rows:,} null row{'s' if self.null_rows != 1 else ''}"


def null_columns(
    manifest_path: Path,
    unique_id: str,
    target: Path,
    build_db: Path,
    resources: DuckDBResources | None,
) -> list[NullColumn] | None:
    """The columns a failed not-null test found nulls in (None for any other test): its
    compiled SQL, in the run's target folder, run on the build once dbt has closed it."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    node = manifest["nodes"].get(unique_id, {})
    if node.get("test_metadata", {}).get("name") != NOT_NULL_TEST:
        return None
    compiled = target / "compiled" / node["package_name"] / node["original_file_path"]
    sql = (compiled / f"{node['name']}.sql").read_text(encoding="utf-8")
    with connect(build_db, resources, read_only=True) as con:
        rows = con.execute(sql).fetchall()
    return [NullColumn(column, int(count)) for column, count in rows]

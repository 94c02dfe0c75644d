"""column_rules with `where_written` (macros/tests/column_rules.sql), as dbt compiles it for
int_customer_identities, run by DuckDB on an identities table whose rows carry the markers of
two builds: the rows the compiling invocation wrote are checked, each key it wrote against the
whole table; a build that wrote nothing checks every row."""

import json
import re
from pathlib import Path

import duckdb

from orchestration.dbt_vars import BUILD_VARS
from tests.conftest import dbt_like_a_run

RULES = "column_rules_int_customer_identities"

IDENTITIES = """
create schema intermediate;
create table intermediate.int_customer_identities (
    identifier_type varchar, identifier_value varchar, anchor_identifier_type varchar,
    anchor_identifier_value varchar, customer_id varchar, dbt_invocation_id varchar
);
"""


def compiled_rules(build_db: Path, target: Path) -> tuple[str, str]:
    """The test's SQL as this dbt invocation compiled it, and that invocation's id."""
    dbt_like_a_run(["compile", "--select", RULES, "--quiet"], build_db, target, capture_output=True)
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    [compiled] = [r["compiled_code"] for r in results["results"]]
    return compiled, results["metadata"]["invocation_id"]


def broken(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {rule: rows for rule, _, rows in con.execute(sql).fetchall()}


def identity(value: str, customer: str | None, build: str) -> list[str | None]:
    return ["email", value, "email", value, customer, build]


def test_a_build_checks_the_rows_it_wrote_and_each_written_key_against_every_row(tmp_path):
    build_db = tmp_path / BUILD_VARS["dangol_build_db"]
    with duckdb.connect(str(build_db)) as con:
        con.execute(IDENTITIES)
    sql, this_build = compiled_rules(build_db, tmp_path / "target")
    assert re.search(r"dbt_invocation_id = '" + this_build + "'", sql)

    insert = "insert into intermediate.int_customer_identities values (?, ?, ?, ?, ?, ?)"
    with duckdb.connect(str(build_db)) as con:
        # An earlier build's rows, kept: one without a customer and a key held twice, which
        # that build's own test would have found.
        con.executemany(
            insert,
            [
                identity("kept@example.com", "c1", "earlier"),
                identity("kept-null@example.com", None, "earlier"),
                identity("kept-twice@example.com", "c2", "earlier"),
                identity("kept-twice@example.com", "c2", "earlier"),
            ],
        )
        # No row is this build's: every row is checked, as `dbt test` on its own does.
        assert broken(con, sql) == {"not_null": 1, "unique": 1}

        # This build wrote a row that is fine: the kept rows are not looked at again.
        con.execute(insert, identity("new@example.com", "c3", this_build))
        assert broken(con, sql) == {}

        # It wrote a row without a customer, and a key a kept row already holds.
        con.executemany(
            insert,
            [
                identity("new-null@example.com", None, this_build),
                identity("kept@example.com", "c1", this_build),
            ],
        )
        assert broken(con, sql) == {"not_null": 1, "unique": 1}

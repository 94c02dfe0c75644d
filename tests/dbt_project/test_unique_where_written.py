"""The unique test of an incremental key (macros/tests/unique_where_written.sql) on the real
int_order_lines_latest and fct_order_lines, built by dbt on a DuckDB holding the tables they
read: a build tests the keys it wrote against the whole table, and `dbt test` on its own tests
every key."""

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_vars import BUILD_VARS
from tests.conftest import dbt_like_a_run

UPSTREAM = """
create schema staging;
create schema intermediate;
create table staging.stg_shopify__order_lines (
    order_id varchar, ingest_file_seq bigint, source_record bigint, product_name varchar,
    product_sku varchar, quantity integer, unit_price decimal(18, 2)
);
create table staging.stg_cafe24__order_items (
    order_id varchar, ingest_file_seq bigint, source_record bigint, product_name varchar,
    quantity integer, item_amount decimal(18, 2), line_state varchar
);
create table staging.stg_smartstore__product_orders as
    from staging.stg_cafe24__order_items;
create table intermediate.int_orders_deduplicated (
    order_id varchar, ingest_file_seq bigint, discount_amount decimal(18, 2),
    cancelled_at timestamptz, financial_status varchar, merchandise_amount decimal(18, 2),
    refund_amount decimal(18, 2)
);
create table intermediate.int_order_customer_changes (
    order_id varchar, previous_customer_id varchar, customer_id varchar
);
create schema marts;
create table marts.fct_orders (
    order_id varchar, customer_id varchar, ordered_at timestamptz, ordered_date date,
    source varchar, status varchar, currency varchar
);
"""


def add_order(con, order_id: str, file_seq: int, lines: int) -> None:
    con.execute(
        "insert into intermediate.int_orders_deduplicated values (?, ?, 0, null, 'paid', ?, 0)",
        [order_id, file_seq, 1000 * lines],
    )
    con.execute(
        "insert into marts.fct_orders values (?, 'c1', '2026-03-01 10:00+09', '2026-03-01',"
        " 'shopify', 'paid', 'KRW')",
        [order_id],
    )
    for line in range(1, lines + 1):
        con.execute(
            "insert into staging.stg_shopify__order_lines values (?, ?, ?, 'Toner', null, 1, 1000)",
            [order_id, file_seq, line],
        )


def dbt(command: str, build_db: Path, target: Path, *args: str, unique: str, select: str) -> int:
    """How many keys the unique test found twice in one dbt invocation of the models `select`
    names on the build, as a run calls dbt (from `make`'s parse)."""
    dbt_like_a_run(
        [command, "--select", *select.split(), *args, "--exclude", "test_type:unit", "--quiet"],
        build_db,
        target,
        capture_output=True,
    )
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    [result] = [r for r in results["results"] if r["unique_id"].split(".")[2] == unique]
    return result["failures"]


UNIQUE = "unique_where_written_int_order_lines_latest_order_line_id"
STRAY_LINE = (
    "insert into intermediate.int_order_lines_latest (order_line_id, order_id, ingest_file_seq,"
    " line_number, dbt_invocation_id) values (?, 'stray', 1, 1, 'an earlier build')"
)
# fct_order_lines carries no marker: it tests the keys int_order_lines_latest wrote.
FACT_UNIQUE = "unique_where_written_fct_order_lines_order_line_id__ref_int_order_lines_latest_"
STRAY_MART_LINE = (
    "insert into marts.fct_order_lines (order_line_id, order_id, line_number)"
    " values (?, 'stray', 1)"
)


@pytest.mark.parametrize(
    ("unique", "select", "stray_line"),
    [
        (UNIQUE, "int_order_lines_latest", STRAY_LINE),
        (FACT_UNIQUE, "int_order_lines_latest fct_order_lines", STRAY_MART_LINE),
    ],
    ids=["int_order_lines_latest", "fct_order_lines"],
)
def test_a_build_tests_the_keys_it_wrote_and_dbt_test_every_key(
    tmp_path: Path, unique: str, select: str, stray_line: str
):
    build_db, target = tmp_path / BUILD_VARS["dangol_build_db"], tmp_path / "target"
    with duckdb.connect(str(build_db)) as con:
        con.execute(UPSTREAM)
        add_order(con, "o1", 1, 2)
        add_order(con, "o2", 1, 1)
    assert dbt("build", build_db, target, "--full-refresh", unique=unique, select=select) == 0

    with duckdb.connect(str(build_db)) as con:
        # Kept rows under another order hold a key already kept (o1-1) and the key the new
        # file's order o3 is about to write (o3-1).
        con.executemany(stray_line, [["o1-1"], ["o3-1"]])
        add_order(con, "o3", 2, 1)

    # The build wrote o3-1: found. o1-1 was kept: the build that wrote it tested it.
    assert dbt("build", build_db, target, unique=unique, select=select) == 1
    # On its own, `dbt test` wrote nothing: it tests every key.
    assert dbt("test", build_db, target, unique=unique, select=select) == 2


# fct_order_lines' order must be in fct_orders: a build checks the lines of the orders
# int_order_lines_latest wrote (macros/tests/relationships_where_written.sql).
RELATIONSHIP = (
    "relationships_where_written_fct_order_lines_order_id__order_id__ref_fct_orders___ref_int"
    "_order_lines_latest_"
)


def test_a_build_tests_the_parents_of_the_orders_it_wrote_and_dbt_test_every_row(tmp_path: Path):
    build_db, target = tmp_path / BUILD_VARS["dangol_build_db"], tmp_path / "target"
    select = "int_order_lines_latest fct_order_lines"
    with duckdb.connect(str(build_db)) as con:
        con.execute(UPSTREAM)
        add_order(con, "o1", 1, 2)
    assert dbt("build", build_db, target, "--full-refresh", unique=RELATIONSHIP, select=select) == 0

    with duckdb.connect(str(build_db)) as con:
        # Kept lines of orders fct_orders does not have: one the new file does not touch
        # (ghost), one of an order the new file brings (o4, which fct_orders lacks).
        con.executemany(STRAY_MART_LINE, [["ghost-1"], ["o4-9"]])
        con.execute(
            "update marts.fct_order_lines set order_id = 'ghost' where order_line_id = 'ghost-1'"
        )
        con.execute("update marts.fct_order_lines set order_id = 'o4' where order_line_id = 'o4-9'")
        add_order(con, "o3", 2, 1)
        add_order(con, "o4", 2, 1)
        con.execute("delete from marts.fct_orders where order_id = 'o4'")

    # The build wrote o3's and o4's lines: o4 has no order. ghost was kept: not looked at.
    assert dbt("build", build_db, target, unique=RELATIONSHIP, select=select) == 1
    # On its own, `dbt test` looks at every line.
    assert dbt("test", build_db, target, unique=RELATIONSHIP, select=select) == 2

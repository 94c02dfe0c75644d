"""The unique and relationship tests of an incremental key (macros/tests/unique_where_written.sql,
relationships_where_written.sql) on the real int_orders_deduplicated and fct_order_lines, built
by dbt on a DuckDB holding the tables they read: a build tests the keys it wrote against the
whole table, and `dbt test` on its own tests every key."""

import json
from pathlib import Path

import duckdb

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
create table intermediate.int_shopify__order_versions (
    order_id varchar, order_name varchar, customer_email varchar, customer_phone varchar,
    financial_status varchar, ordered_at timestamptz, cancelled_at timestamptz,
    currency varchar, discount_amount decimal(18, 2), refund_amount decimal(18, 2),
    ingest_file_seq bigint, source_record bigint, source varchar, customer_account varchar,
    merchandise_amount decimal(18, 2), items_count integer, lines_count integer
);
create table intermediate.int_cafe24__order_versions as
    from intermediate.int_shopify__order_versions;
create table intermediate.int_smartstore__order_versions as
    from intermediate.int_shopify__order_versions;
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
        "insert into intermediate.int_shopify__order_versions (order_id, source,"
        " financial_status, ingest_file_seq, source_record, discount_amount, refund_amount,"
        " merchandise_amount) values (?, 'shopify', 'paid', ?, 1, 0, 0, ?)",
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


# fct_order_lines carries no marker: it tests the keys of the orders int_orders_deduplicated
# wrote, each against every line.
UNIQUE = (
    "unique_where_written_fct_order_lines_order_line_id__order_id__ref_int_orders_deduplicated_"
)
# Kept lines (an earlier build's) of an order no file brings again.
STRAY_LINE = (
    "insert into marts.fct_order_lines (order_line_id, order_id, line_number)"
    " values (?, 'stray', 1)"
)
SELECT = "int_orders_deduplicated fct_order_lines"


def test_a_build_tests_the_keys_it_wrote_and_dbt_test_every_key(tmp_path: Path):
    build_db, target = tmp_path / BUILD_VARS["dangol_build_db"], tmp_path / "target"
    with duckdb.connect(str(build_db)) as con:
        con.execute(UPSTREAM)
        add_order(con, "o1", 1, 2)
        add_order(con, "o2", 1, 1)
    assert dbt("build", build_db, target, "--full-refresh", unique=UNIQUE, select=SELECT) == 0

    with duckdb.connect(str(build_db)) as con:
        # Kept rows under another order hold a key already kept (o1-1) and the key the new
        # file's order o3 is about to write (o3-1).
        con.executemany(STRAY_LINE, [["o1-1"], ["o3-1"]])
        add_order(con, "o3", 2, 1)

    # The build wrote o3-1: found. o1-1 was kept: the build that wrote it tested it.
    assert dbt("build", build_db, target, unique=UNIQUE, select=SELECT) == 1
    # On its own, `dbt test` wrote nothing: it tests every key.
    assert dbt("test", build_db, target, unique=UNIQUE, select=SELECT) == 2


# fct_order_lines' order must be in fct_orders: a build checks the lines of the orders
# int_orders_deduplicated wrote (macros/tests/relationships_where_written.sql).
RELATIONSHIP = (
    "relationships_where_written_fct_order_lines_order_id__order_id__ref_fct_orders___ref_int"
    "_orders_deduplicated_"
)


def test_a_build_tests_the_parents_of_the_orders_it_wrote_and_dbt_test_every_row(tmp_path: Path):
    build_db, target = tmp_path / BUILD_VARS["dangol_build_db"], tmp_path / "target"
    select = SELECT
    with duckdb.connect(str(build_db)) as con:
        con.execute(UPSTREAM)
        add_order(con, "o1", 1, 2)
    assert dbt("build", build_db, target, "--full-refresh", unique=RELATIONSHIP, select=select) == 0

    with duckdb.connect(str(build_db)) as con:
        # Kept lines of orders fct_orders does not have: one the new file does not touch
        # (ghost), one of an order the new file brings (o4, which fct_orders lacks).
        con.executemany(STRAY_LINE, [["ghost-1"], ["o4-9"]])
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

"""The engine-equality check itself, without Spark: a DuckDB build against Parquet laid out as
Spark writes its tables (<warehouse>/<schema>.db/<table>/part-*.parquet)."""

from pathlib import Path

import duckdb

from engines.spark import compare_engines

MART = """
    select * from (values
        ('c1', timestamptz '2026-03-05 14:03:00+09', 12000.00::decimal(18, 2), 3::hugeint,
            0.5::double),
        ('c2', timestamptz '2026-03-06 09:00:00+09', 990.50::decimal(18, 2), 1::hugeint,
            1.0::double)
    ) as mart(customer_id, ordered_at, net_revenue, orders_count, share)
"""


def build(tmp_path: Path, spark_rows: str) -> tuple[Path, Path]:
    duckdb_build = tmp_path / "duckdb_build.duckdb"
    with duckdb.connect(str(duckdb_build)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.customer_value as {MART}")
    table_dir = tmp_path / "warehouse" / "marts.db" / "customer_value"
    table_dir.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        # Spark's types: timestamp in UTC, count as bigint, the rate as double.
        con.execute(f"copy ({spark_rows}) to '{table_dir / 'part-00000.parquet'}' (format parquet)")
    return duckdb_build, tmp_path / "warehouse"


def test_the_same_rows_in_spark_types_agree(tmp_path: Path):
    spark_rows = f"""
        select customer_id, ordered_at::timestamptz as ordered_at, net_revenue,
            orders_count::bigint as orders_count, share::double as share
        from ({MART})
    """
    [result] = compare_engines(*build(tmp_path, spark_rows))
    assert result.same, result
    assert (result.rows_duckdb, result.rows_spark) == (2, 2)


def test_a_cent_or_an_instant_apart_disagrees(tmp_path: Path):
    spark_rows = f"""
        select customer_id,
            case when customer_id = 'c2' then ordered_at + interval 9 hour else ordered_at end
                as ordered_at,
            case when customer_id = 'c1' then net_revenue + 0.01 else net_revenue end
                as net_revenue,
            orders_count::bigint as orders_count, share
        from ({MART})
    """
    [result] = compare_engines(*build(tmp_path, spark_rows))
    assert not result.same
    assert (result.only_duckdb, result.only_spark) == (2, 2)


def test_a_mart_missing_on_spark_disagrees(tmp_path: Path):
    duckdb_build, warehouse = build(tmp_path, f"select * from ({MART})")
    with duckdb.connect(str(duckdb_build)) as con:
        con.execute("create table marts.dim_date as select current_date as date_day")
    results = {result.table: result for result in compare_engines(duckdb_build, warehouse)}
    assert results["marts.dim_date"].problem == "missing on Spark"
    assert results["marts.customer_value"].same

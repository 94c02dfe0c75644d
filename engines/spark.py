"""The dbt project on Apache Spark beside DuckDB, and the check that both engines agree.

Ingest, the quality gate and publish stay on DuckDB; this module hands Spark the raw tables
ingest/ loaded (as Parquet, registered under the same source names) and builds the same dbt
project there with the `spark` target (pyspark in session mode, Parquet tables). Then every
public mart (schemas marts and restricted) is compared, EXCEPT ALL both ways, with types
normalised: points in time as UTC epoch microseconds, money to the cent, rates to 9 places,
ids and counts exact.

    python -m engines.spark check --work /tmp/dangol-spark-check   # what `make test-spark` runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from activation.segments import PYTHON_MARTS
from customer_value.warehouse import TABLES as CLV_TABLES
from customer_value.warehouse import predict_in_warehouse
from orchestration.config import DEFAULT_CONFIG, load_config
from orchestration.dbt_vars import dbt_vars
from orchestration.manifest import DBT_PROJECT_DIR, SEGMENT_MODELS, dbt_executable

PUBLIC_SCHEMAS = ("marts", "restricted")
# Written by Python (customer_value/), not by dbt, so not an engine's to build: Spark's
# segment_members reads the DuckDB build's customer_clv, and the model's input
# (customer_purchase_summary, a dbt mart) is compared like every other mart.
NOT_DBT_MARTS = frozenset(CLV_TABLES)
DEMO_AS_OF = dt.date(2026, 6, 30)


def run_dbt(args: list[str], *, target: str, spark_dir: Path, variables: dict) -> None:
    """dbt in its own process, the Spark target's files (metastore, tables) under spark_dir."""
    command = [
        str(dbt_executable()), *args, "--profiles-dir", ".", "--target", target,
        "--target-path", f"target/{target}", "--vars", json.dumps(variables),
    ]  # fmt: skip
    env = {**os.environ, "DANGOL_SPARK_DIR": str(spark_dir)}
    subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=True)


def ingest_demo(work: Path, config_path: Path = DEFAULT_CONFIG) -> Path:
    """The demo exports for a fixed day, ingested into work/ingested.duckdb (raw tables only)."""
    from ingest.landing import ingest_landing
    from ingest.suppression import load_suppression_list
    from sample_data.base_exports import write_sample_exports
    from sample_data.more_exports import write_channel_exports

    landing = work / "landing"
    write_sample_exports(landing, 2_000, 7, DEMO_AS_OF)
    write_channel_exports(landing, 7, DEMO_AS_OF, 0.02)
    config = load_config(config_path)
    raw_db = work / "ingested.duckdb"  # not raw.duckdb: its catalog name would hide schema raw
    with duckdb.connect(str(raw_db)) as con:
        ingest_landing(con, landing, "spark-check", config.ingest_settings())
        # A few of the demo's contacts on the suppression list, so both engines exclude them.
        suppression = work / "suppression.csv"
        con.execute(
            f"copy (select email, phone from read_csv('{landing / 'crm' / 'contacts.csv'}',"
            " all_varchar = true) order by email limit 5)"
            f" to '{suppression}' (header, delimiter ',')"
        )
        load_suppression_list(con, suppression, config.ingest_settings())
    return raw_db


def export_raw_tables(raw_db: Path, out_dir: Path) -> list[str]:
    """Every table of schema raw as out_dir/<table>.parquet; the dbt sources read these names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(raw_db), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                # Views too: raw.<table> of a loaded export is a view (ingest/landing.py).
                "select table_name from information_schema.tables where table_schema = 'raw'"
                " order by 1"
            ).fetchall()
        ]
        for table in tables:
            con.execute(f"copy raw.\"{table}\" to '{out_dir / table}.parquet' (format parquet)")
    return tables


def build_on_duckdb(raw_db: Path, work: Path, variables: dict) -> Path:
    """The whole dbt project on DuckDB, in a new file holding a copy of the raw tables only (a
    pipeline's state file also holds the models it built, which would build incrementally)."""
    build_db = work / "duckdb_build.duckdb"
    with duckdb.connect(str(build_db)) as con:
        con.execute(f"attach '{raw_db}' as ingested (read_only)")
        con.execute("create schema raw")
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'ingested' and table_schema = 'raw'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f'create table raw."{table}" as from ingested.raw."{table}"')
    # As a pipeline run: dbt, then the CLV model on its summary, then the segments step.
    variables = {**variables, "dangol_build_db": str(build_db)}
    run_dbt(["build", "--exclude", SEGMENT_MODELS], target="build", spark_dir=work / "spark",
            variables=variables)  # fmt: skip
    config = load_config(DEFAULT_CONFIG)
    predict_in_warehouse(
        build_db, config.clv.settings(), config.duckdb.resources(work / "spill" / "pipeline")
    )
    run_dbt(["build", "--select", SEGMENT_MODELS], target="build", spark_dir=work / "spark",
            variables=variables)  # fmt: skip
    return build_db


def build_on_spark(raw_db: Path, work: Path, variables: dict, duckdb_build: Path) -> Path:
    """The whole dbt project on local Spark over the same raw tables; returns the warehouse.
    The segments step reads the CLV marts the DuckDB build's Python wrote (NOT_DBT_MARTS)."""
    spark_dir = work / "spark"
    shutil.rmtree(spark_dir, ignore_errors=True)
    export_raw_tables(raw_db, spark_dir / "raw")
    register = ["run-operation", "register_raw_tables"]
    arguments = json.dumps({"path": str(spark_dir / "raw")})
    run_dbt(
        [*register, "--args", arguments], target="spark", spark_dir=spark_dir, variables=variables
    )
    run_dbt(["build", "--exclude", SEGMENT_MODELS], target="spark", spark_dir=spark_dir,
            variables=variables)  # fmt: skip
    clv_dir = spark_dir / "customer_value"
    clv_dir.mkdir()
    with duckdb.connect(str(duckdb_build), read_only=True) as con:
        for table in PYTHON_MARTS:
            con.execute(f"copy marts.{table} to '{clv_dir / table}.parquet' (format parquet)")
    arguments = json.dumps({"path": str(clv_dir), "schema": "marts"})
    run_dbt(
        [*register, "--args", arguments], target="spark", spark_dir=spark_dir, variables=variables
    )
    run_dbt(["build", "--select", SEGMENT_MODELS], target="spark", spark_dir=spark_dir,
            variables=variables)  # fmt: skip
    return spark_dir / "warehouse"


@dataclass(frozen=True)
class MartComparison:
    table: str
    rows_duckdb: int
    rows_spark: int
    only_duckdb: int
    only_spark: int
    problem: str = ""

    @property
    def same(self) -> bool:
        return not self.problem and self.only_duckdb == self.only_spark == 0


def _normalised(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A select of relation with comparable values: instants as UTC epoch microseconds, money
    (decimals) to the cent, rates (doubles) to 9 places, integers as bigint (Spark's sum of
    integers is bigint where DuckDB's is hugeint)."""
    columns = con.execute(f"select column_name, column_type from (describe {relation})").fetchall()
    parts = []
    for name, column_type in sorted(columns):
        quoted, kind = f'"{name}"', column_type.upper()
        if kind.startswith("TIMESTAMP"):
            parts.append(f"epoch_us({quoted}) as {quoted}")
        elif kind.startswith("DECIMAL"):
            parts.append(f"round({quoted}, 2)::decimal(38, 2) as {quoted}")
        elif kind in {"DOUBLE", "FLOAT", "REAL"}:
            # Rates and averages: equal to 9 places, not to the last bit of the division.
            parts.append(f"round({quoted}::double, 9) as {quoted}")
        elif kind in {"HUGEINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"}:
            parts.append(f"{quoted}::bigint as {quoted}")
        else:
            parts.append(quoted)
    return f"select {', '.join(parts)} from {relation}"


def compare_engines(duckdb_build: Path, spark_warehouse: Path) -> list[MartComparison]:
    """Every table of the public schemas on DuckDB against Spark's table of the same name."""
    results = []
    with duckdb.connect() as con:
        con.execute(f"attach '{duckdb_build}' as duck (read_only)")
        for schema in PUBLIC_SCHEMAS:
            tables = [
                row[0]
                for row in con.execute(
                    "select table_name from duckdb_tables() "
                    "where database_name = 'duck' and schema_name = ? order by 1",
                    [schema],
                ).fetchall()
            ]
            tables = [table for table in tables if table not in NOT_DBT_MARTS]
            spark_tables = {p.name for p in (spark_warehouse / f"{schema}.db").glob("*")}
            for extra in sorted(spark_tables - set(tables)):
                results.append(MartComparison(f"{schema}.{extra}", 0, 0, 0, 0, "only on Spark"))
            for table in tables:
                name = f"{schema}.{table}"
                if table not in spark_tables:
                    results.append(MartComparison(name, 0, 0, 0, 0, "missing on Spark"))
                    continue
                files = spark_warehouse / f"{schema}.db" / table / "*.parquet"
                con.execute(
                    f"create or replace temp view spark_side as from read_parquet('{files}')"
                )
                duck_columns = _column_names(con, f'duck."{schema}"."{table}"')
                spark_columns = _column_names(con, "spark_side")
                if duck_columns != spark_columns:
                    differ = sorted(set(duck_columns) ^ set(spark_columns)) or "order"
                    results.append(MartComparison(name, 0, 0, 0, 0, f"columns differ: {differ}"))
                    continue
                left = _normalised(con, f'duck."{schema}"."{table}"')
                right = _normalised(con, "spark_side")
                count = "select count(*) from ({}) as counted"
                results.append(
                    MartComparison(
                        name,
                        con.execute(count.format(left)).fetchone()[0],
                        con.execute(count.format(right)).fetchone()[0],
                        con.execute(count.format(f"{left} except all {right}")).fetchone()[0],
                        con.execute(count.format(f"{right} except all {left}")).fetchone()[0],
                    )
                )
    return results


def _column_names(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [
        row[0] for row in con.execute(f"select column_name from (describe {relation})").fetchall()
    ]


def report(results: list[MartComparison]) -> bool:
    for result in results:
        status = "same" if result.same else "DIFFERENT"
        detail = result.problem or (
            f"{result.rows_duckdb} rows on DuckDB, {result.rows_spark} on Spark, "
            f"only on DuckDB {result.only_duckdb}, only on Spark {result.only_spark}"
        )
        print(f"{status:9} {result.table}: {detail}")
    same = all(result.same for result in results) and bool(results)
    print("Spark and DuckDB agree on every public mart." if same else "ENGINES DISAGREE")
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engines.spark", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="build the demo on DuckDB and on Spark, compare")
    check.add_argument("--work", type=Path, required=True, help="scratch folder (emptied)")
    check.add_argument("--raw-db", type=Path, help="a DuckDB file with schema raw [demo data]")
    compare = commands.add_parser("compare", help="compare two builds already made")
    compare.add_argument("duckdb_build", type=Path)
    compare.add_argument("spark_warehouse", type=Path)
    args = parser.parse_args(argv)

    if args.command == "compare":
        return 0 if report(compare_engines(args.duckdb_build, args.spark_warehouse)) else 1
    started = time.monotonic()
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    raw_db = args.raw_db.resolve() if args.raw_db else ingest_demo(work)
    # The vars a pipeline run passes to dbt: dangol.yaml's settings and its segments.
    variables = dbt_vars(load_config(DEFAULT_CONFIG))
    duckdb_build = build_on_duckdb(raw_db, work, variables)
    spark_warehouse = build_on_spark(raw_db, work, variables, duckdb_build)
    same = report(compare_engines(duckdb_build, spark_warehouse))
    print(f"({time.monotonic() - started:.0f} s)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""Read the purchase-day summary from a build warehouse; write the CLV marts back into it.

The tables are declared here with their types, so an empty release (no prediction) has the
same columns as a full one and the quality gate, publish and BI tools see one schema.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from customer_value.clv import ClvResult, ClvSettings, predict
from publish.duckdb_files import DuckDBResources, connect_build

SUMMARY = "marts.customer_purchase_summary"
TABLES: dict[str, str] = {
    "customer_clv": """
        customer_id varchar not null primary key,
        as_of_date date not null,
        purchase_days integer not null,
        repeat_purchase_days integer not null,
        recency_days integer not null,
        tenure_days integer not null,
        average_repeat_order_value decimal(18, 2),
        p_alive double not null,
        expected_purchases_90d double not null,
        expected_purchases_365d double not null,
        expected_average_order_value decimal(18, 2) not null,
        predicted_clv_365d decimal(18, 2) not null,
        expected_next_order_date date,
        churn_risk varchar not null,
        predicted_clv_decile integer not null
    """,
    "clv_model_fit": """
        model varchar not null,
        parameter varchar not null,
        value double not null,
        time_unit varchar,
        customers integer not null,
        log_likelihood double not null,
        as_of_date date not null
    """,
    "clv_backtest": """
        scope varchar not null,
        predicted_decile integer,
        customers integer not null,
        predicted_purchase_days double not null,
        actual_purchase_days double not null,
        purchase_days_error_pct double,
        predicted_revenue decimal(18, 2) not null,
        actual_revenue decimal(18, 2) not null,
        revenue_error_pct double,
        cutoff_date date not null,
        holdout_days integer not null,
        as_of_date date not null
    """,
    "clv_model_status": """
        as_of_date date,
        predicted boolean not null,
        reason varchar,
        customers integer not null,
        backtested boolean not null,
        backtest_reason varchar
    """,
}


def read_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(f"select * from {SUMMARY} order by customer_id").df()


def write_clv_tables(con: duckdb.DuckDBPyConnection, result: ClvResult) -> None:
    frames = {
        "customer_clv": result.customer_clv,
        "clv_model_fit": result.model_fit,
        "clv_backtest": result.backtest,
        "clv_model_status": result.status(),
    }
    con.execute("begin")
    for table, columns in TABLES.items():
        frame = frames[table]  # noqa: F841 (read by DuckDB's replacement scan)
        con.execute(f"create or replace table marts.{table} ({columns})")
        if len(frames[table]):
            con.execute(f"insert into marts.{table} by name select * from frame")
    con.execute("commit")


def predict_in_warehouse(
    build_db: Path, settings: ClvSettings, resources: DuckDBResources
) -> ClvResult:
    """Fit and score on the build's summary and write the CLV marts back, in one transaction."""
    with connect_build(build_db, resources) as con:
        result = predict(read_summary(con), settings)
        write_clv_tables(con, result)
    return result

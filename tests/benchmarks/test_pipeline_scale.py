"""The bench's verdicts name the issue's goals as the issue states them."""

import datetime as dt

import duckdb

from benchmarks.pipeline_scale import (
    Goals,
    LeanMeasure,
    RunMeasure,
    SizeMeasures,
    lean_pipeline,
    write_shopify_orders,
)


def run(seconds: float) -> RunMeasure:
    return RunMeasure(seconds, peak_bytes=2**30, slowest=[], published=True)


def test_the_daily_share_is_judged_on_the_largest_history_only():
    # The goal is a daily file on a 10M-line history: on 1M lines the fixed cost of a run is
    # most of both runs, and the bench says so instead of calling the goal missed.
    goals = Goals(
        demo=run(13.0),
        sizes={
            1_000_000: SizeMeasures(2.0, full=run(22.0), daily=run(16.0), nothing_new=run(0.2)),
            10_000_000: SizeMeasures(14.0, full=run(120.0), daily=run(40.0), nothing_new=run(0.3)),
        },
    )

    verdicts = goals.verdicts()

    assert "- not a goal: daily run at 1,000,000 lines 73% of a full run" in "\n".join(verdicts)
    assert "- NOT met: daily run at 10,000,000 lines 33% of a full run (30%)" in verdicts
    assert "- met: full run at 1,000,000 lines 22.0 s (at most 2 x floor + 20 s = 24.0 s)" in (
        verdicts
    )


def test_the_lean_reference_writes_every_order_line_into_a_fact_a_release_and_parquet(tmp_path):
    export = tmp_path / "orders_export.csv"
    write_shopify_orders(export, 0, orders=300, customers=40, start=dt.date(2026, 1, 1), days=90)
    with duckdb.connect() as con:
        lines = con.execute(f"select count(*) from read_csv('{export}')").fetchone()[0]

    lean = lean_pipeline(export, tmp_path)

    with duckdb.connect(str(tmp_path / "lean_release.duckdb"), read_only=True) as release:
        assert release.execute("select count(*) from order_lines_fact").fetchone()[0] == lines
        # No raw email reaches the fact, as none reaches a BI-facing table.
        assert not release.execute(
            "select count(*) from order_lines_fact where customer_id like '%@%'"
        ).fetchone()[0]
        # The format BI tools with DuckDB 1.0 open, as the release's default.
        tags = release.execute(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
        assert tags["storage_version"].startswith("v1.0.0")
        months = release.execute(
            "select count(distinct strftime(ordered_date, '%Y-%m')) from order_lines_fact"
        ).fetchone()[0]
        in_parquet = release.execute(
            f"select count(*), count(distinct ordered_month) from read_parquet("
            f"'{tmp_path}/lean_parquet/*/*.parquet', hive_partitioning = true)"
        ).fetchone()
    assert in_parquet == (lines, months) and months > 1  # a file per month
    assert lean.seconds == lean.floor + lean.fact + lean.release + lean.parquet
    assert min(lean.floor, lean.fact, lean.release, lean.parquet) > 0


def test_the_lean_reference_is_reported_beside_the_goal_not_judged():
    lean = LeanMeasure(floor=14.0, fact=9.0, release=8.0, parquet=5.0)
    goals = Goals(
        sizes={
            10_000_000: SizeMeasures(
                14.0, full=run(120.0), daily=run(30.0), nothing_new=run(0.3), lean=lean
            )
        }
    )

    verdicts = goals.verdicts()

    assert (
        "- for reference: at 10,000,000 lines the floor and nothing but its order lines written"
        " (fact, release, Parquet) take 36.0 s, before any fixed cost; the full run's goal is"
        " 48.0 s"
    ) in verdicts
    assert not any("met" in v and "reference" in v for v in verdicts)

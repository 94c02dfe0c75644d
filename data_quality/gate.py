"""Runs the suites on a build warehouse and decides whether it may be published."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# GX would otherwise try to phone home for usage statistics; there is no network here.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import duckdb
import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from data_quality.suites import ERROR, BuildFacts, marts_suites


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    sample: list

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        count = f" ({self.unexpected_count} rows" if self.unexpected_count else " ("
        return f"{self.expectation}{where}{count}, e.g. {self.sample[:3]})"


@dataclass(frozen=True)
class TableAudit:
    table: str
    rows: int
    evaluated: int
    failures: list[FailedExpectation] = field(default_factory=list)

    @property
    def blocking_failures(self) -> list[FailedExpectation]:
        return [f for f in self.failures if f.severity == ERROR]

    @property
    def passed(self) -> bool:
        return not self.blocking_failures

    def summary(self) -> str:
        if not self.failures:
            return f"{self.table}: {self.evaluated} expectations passed on {self.rows} rows"
        return f"{self.table}: " + "; ".join(f.describe() for f in self.failures)


def measure_build(con: duckdb.DuckDBPyConnection) -> BuildFacts:
    total = con.execute("select coalesce(sum(net_amount), 0) from marts.fct_orders").fetchone()
    return BuildFacts(orders_net_revenue=float(total[0]))


def audit_marts(build_db: Path) -> list[TableAudit]:
    """Validate every mart of the build with its suite; read-only, so nothing can change."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        suites = marts_suites(measure_build(con))
        frames = {table: con.execute(f"select * from {table}").df() for table in suites}
    finally:
        con.close()

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_pandas("build_warehouse")
    audits = []
    for table, expectations in suites.items():
        batch = datasource.add_dataframe_asset(table).add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=expectations))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=table, data=batch, suite=suite)
        )
        result = validation.run(batch_parameters={"dataframe": frames[table]})
        failures = [
            FailedExpectation(
                expectation=r.expectation_config.type,
                column=r.expectation_config.kwargs.get("column"),
                severity=(r.expectation_config.meta or {}).get("severity", ERROR),
                unexpected_count=r.result.get("unexpected_count"),
                sample=list(
                    r.result.get("partial_unexpected_list") or [r.result.get("observed_value")]
                ),
            )
            for r in result.results
            if not r.success
        ]
        audits.append(
            TableAudit(
                table=table,
                rows=len(frames[table]),
                evaluated=len(result.results),
                failures=failures,
            )
        )
    return audits

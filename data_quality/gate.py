"""Runs the audit targets on a build warehouse and decides whether it may be published.

Each run's results are written as great-expectations Data Docs (HTML) to its report folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

# GX would otherwise try to phone home for usage statistics; there is no network here.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.data_context.data_context.context_factory import project_manager
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine

from data_quality.suites import (
    ERROR,
    ORDERS_AUDITED_AFTER,
    AuditTarget,
    Expect,
    QualityThresholds,
    audit_targets,
)
from data_quality.verdicts import AuditReport, FailedExpectation, TargetAudit, Verdict
from ingest.masking import masked
from publish.builds import history_parsed_after
from publish.duckdb_files import DuckDBResources, connect, connect_build, sql_string

# How many failing values a check keeps as its example (numbers only; see _result_format).
SAMPLE_VALUES = 20
# The checks the history of order facts passed: while they stay the same, a run audits the
# orders it parsed; checks changed in code or in dangol.yaml `quality:` audit every order once.
ORDER_FACTS_AUDIT = "meta.order_facts_audit"


def order_facts_checks(targets: list[AuditTarget]) -> str | None:
    """A fingerprint of the checks that audit the order facts by order; None without any."""
    by_order = [t for t in targets if f"${ORDERS_AUDITED_AFTER}" in t.query]
    if not by_order:
        return None
    digest = hashlib.sha256()
    for target in by_order:
        digest.update(f"{target.name}\n{target.query}\n".encode())
        for expectation in target.expectations:
            config = gx_expectation(expectation).configuration.to_json_dict()
            config.pop("id", None)  # given when a suite takes it
            digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _orders_audited_after(con, checks: str | None, parsed_after: int) -> int:
    """The file after which the order facts are audited: the history's while it passed these
    very checks (the build starts from the last published one), else 0 (every order)."""
    kept = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'meta' and table_name = 'order_facts_audit'"
    ).fetchone()[0]
    if checks is None or not kept:
        return 0
    passed = con.execute(f"select checks from {ORDER_FACTS_AUDIT}").fetchone()
    return parsed_after if passed and passed[0] == checks else 0


def _record_order_facts_checks(build_db: Path, checks: str, resources: DuckDBResources) -> None:
    """The build's order facts passed `checks`; kept in the build, which a publish makes the
    state the next run starts from (a blocked build is never published)."""
    with connect_build(build_db, resources) as con:
        con.execute("create schema if not exists meta")
        con.execute(f"create or replace table {ORDER_FACTS_AUDIT} as select ? as checks", [checks])


@contextmanager
def _batches_read_ahead(
    build_db: Path,
    published_db: Path | None,
    targets: list[AuditTarget],
    resources: DuckDBResources,
    checks: str | None,
) -> Iterator[list[Future[pd.DataFrame | str]]]:
    """Each target's rows, or why it is skipped, read in order by one thread of their own while
    the caller validates the ones already read: DuckDB's reads leave Python's lock free for
    GX's checks (a first run at 10M order lines reads ~16M rows into pandas for 4-7 s and
    checks them for ~3.5 s). The build is closed again when the caller is done with them."""
    with (
        connect(build_db, resources, read_only=True) as con,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-reader") as reader,
    ):
        if published_db and published_db.exists():
            con.execute(f"attach {sql_string(str(published_db))} as published (read_only)")
            has_published = True
        else:
            has_published = False
        parsed_after = history_parsed_after(con)
        bound = {
            "parsed_after_file_seq": parsed_after,
            ORDERS_AUDITED_AFTER: _orders_audited_after(con, checks, parsed_after),
        }

        def read(target: AuditTarget) -> pd.DataFrame | str:
            if target.needs_previous_release and not has_published:
                return "first release: nothing published to compare with"
            parameters = {k: v for k, v in bound.items() if f"${k}" in target.query}
            return _with_wide_integers(con.execute(target.query, parameters or None).df())

        batches = [reader.submit(read, target) for target in targets]
        try:
            yield batches
        finally:
            for batch in batches:
                batch.cancel()  # the caller failed: read no more before the build closes


def _with_wide_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """GX compares int64 and float64 columns as whole arrays but every other number one value
    at a time in Python (seconds per million rows); DuckDB returns INTEGER as int32."""
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_integer_dtype(dtype) and dtype != "int64":
            # A nullable integer column with nulls becomes float64 (NaN), exact below 2**53.
            wide = "float64" if frame[column].isna().any() else "int64"
            frame[column] = frame[column].astype(wide)
    return frame


def _result_format(target: AuditTarget, frame: pd.DataFrame) -> dict:
    """Failing values are kept as examples only when every column the target checks holds
    numbers, dates or booleans: a text value may be a person's email, phone or name, and the
    examples reach the run's messages, Dagster's event log and the Data Docs under reports/."""
    checked = {
        expectation.kwargs.get(key)
        for expectation in target.expectations
        for key in ("column", "column_A", "column_B")
    } - {None}
    text = [
        column
        for column in checked - target.non_personal_columns
        if column in frame
        and not (
            pd.api.types.is_numeric_dtype(frame[column])
            or pd.api.types.is_bool_dtype(frame[column])
            or pd.api.types.is_datetime64_any_dtype(frame[column])
        )
    ]
    return {"result_format": "SUMMARY", "partial_unexpected_count": 0 if text else SAMPLE_VALUES}


def gx_expectation(expect: Expect) -> gxe.Expectation:
    """The great-expectations object a suite names; its severity travels in its meta."""
    return getattr(gxe, expect.type)(**expect.kwargs, meta={"severity": expect.severity})


def _failures(result, non_personal_columns: frozenset[str]) -> list[FailedExpectation]:
    failures = []
    for r in result.results:
        if r.success:
            continue
        column = r.expectation_config.kwargs.get("column") or r.expectation_config.kwargs.get(
            "column_A"
        )
        values = r.result.get("partial_unexpected_list") or [r.result.get("observed_value")]
        failures.append(
            FailedExpectation(
                expectation=r.expectation_config.type,
                column=column,
                severity=(r.expectation_config.meta or {}).get("severity", ERROR),
                unexpected_count=r.result.get("unexpected_count"),
                # Text is masked should any reach here, unless its column holds no person's data.
                sample=[
                    masked(value)
                    if isinstance(value, str) and column not in non_personal_columns
                    else value
                    for value in values
                    if value is not None
                ],
            )
        )
    return failures


def run_audit(
    build_db: Path,
    thresholds: QualityThresholds,
    raw_tables: list[str],
    resources: DuckDBResources,
    published_db: Path | None = None,
    report_dir: Path | None = None,
    layers: tuple[str, ...] = ("raw", "staging", "marts"),
    report_ready: Callable[[AuditReport], None] | None = None,
) -> AuditReport:
    """Validate the build read-only against the targets of `layers`; Data Docs to `report_dir`.
    `report_ready` hears the verdicts before the Data Docs are built (about a second), which
    no verdict waits for."""
    targets = [t for t in audit_targets(thresholds, raw_tables) if t.asset[0] in layers]
    checks = order_facts_checks(targets)
    with _batches_read_ahead(build_db, published_db, targets, resources, checks) as batches:
        context = _gx_context(report_dir)
        audits = _validate(context, targets, batches)
    if checks and not any(a.verdict == Verdict.BLOCKED for a in audits):
        _record_order_facts_checks(build_db, checks, resources)
    report = AuditReport(audits=audits, data_docs=report_dir / "index.html" if report_dir else None)
    if report_ready:
        report_ready(report)
    try:
        if report_dir:
            # One Data Docs build for the whole audit: a build per checkpoint renders the site
            # anew each time (seconds per target).
            context.build_data_docs(site_names=["quality"])
    finally:
        # GX keeps the last context, and through it every batch, in a module global: the run's
        # next steps would carry them (10M lines: 0.8 GiB more when publish peaks).
        project_manager.set_project(None)
    return report


def _gx_context(report_dir: Path | None):
    """An ephemeral GX context, with a Data Docs site in `report_dir` when there is one."""
    # GX fingerprints each in-memory batch below this size (pandas' hash of every value, then
    # md5) for the batch's markers, which nothing here reads: at 10M order lines that was 6.8 s
    # of the models gate's 9.4 s of validation. No frame is below zero.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if report_dir:
        report_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="quality",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(report_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _validate(
    context, targets: list[AuditTarget], batches: list[Future[pd.DataFrame | str]]
) -> list[TargetAudit]:
    """GX's verdict on each target's rows, as they come."""
    datasource = context.data_sources.add_pandas("build_warehouse")
    audits = []
    for target, batch_read in zip(targets, batches, strict=True):
        frame = batch_read.result()
        if isinstance(frame, str):
            audits.append(TargetAudit(target=target, skipped=frame))
            continue
        batch = datasource.add_dataframe_asset(target.name).add_batch_definition_whole_dataframe(
            "all"
        )
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=target.name, expectations=[gx_expectation(e) for e in target.expectations]
            )
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=target.name, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=target.name,
                validation_definitions=[validation],
                actions=[],
                result_format=_result_format(target, frame),
            )
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame})
        [result] = outcome.run_results.values()
        audits.append(
            TargetAudit(
                target=target,
                rows=len(frame),
                evaluated=len(result.results),
                failures=_failures(result, target.non_personal_columns),
            )
        )
    return audits

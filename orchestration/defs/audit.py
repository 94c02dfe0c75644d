"""Stage 4: great-expectations suites on raw, staging and marts, as blocking checks.

A failed "error" expectation blocks everything downstream, publication included; "warn"
expectations are reported on the check and let the run go on.
"""

import dagster as dg

from data_quality.suites import audit_targets
from ingest.landing import loaded_raw_tables
from operations import progress
from orchestration.config import QualityConfig, RfmConfig
from orchestration.defs.resources import DangolResource, RunLockResource
from orchestration.failpoints import failpoint
from orchestration.warm_gate import run_audit

LOADED_RAW_TABLES = loaded_raw_tables()
# Check names and assets do not depend on the thresholds, only the verdicts do.
AUDIT_TARGETS = audit_targets(QualityConfig().thresholds(RfmConfig().score_bins), LOADED_RAW_TABLES)


def _quality_gate(name: str, layers: tuple[str, ...], description: str):
    targets = [t for t in AUDIT_TARGETS if t.asset[0] in layers]

    @dg.multi_asset_check(
        name=name,
        description=description,
        specs=[
            dg.AssetCheckSpec(
                name=target.check_name,
                asset=dg.AssetKey(list(target.asset)),
                blocking=True,
                description=f"{target.name} in data_quality/suites.py (great-expectations).",
            )
            for target in targets
        ],
    )
    def quality_gate(
        context: dg.AssetCheckExecutionContext, dangol: DangolResource, run_lock: RunLockResource
    ):
        paths = dangol.paths
        progress.stage(f"Audit (great-expectations): {', '.join(layers)}")
        thresholds = dangol.config.quality.thresholds(dangol.config.rfm.score_bins)
        if dangol.accept_anomalies:
            thresholds = thresholds.accepting_anomalies()
        report = run_audit(
            build_db=dangol.run_build(context.run.run_id),
            thresholds=thresholds,
            raw_tables=LOADED_RAW_TABLES,
            resources=dangol.duckdb,
            published_db=paths.published_db,
            report_dir=paths.reports_dir / "quality" / context.run.run_id / name,
            layers=layers,
        )
        context.log.info(report.summary())
        failpoint("audit.validated")
        for audit in report.audits:
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey(list(audit.target.asset)),
                check_name=audit.target.check_name,
                passed=audit.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=audit.summary(),
                metadata={
                    # Typed for the CLI's runner, which reads them instead of the description.
                    "verdict": audit.verdict.value,
                    "anomaly_blocked": audit.anomaly_blocked,
                    "rows": audit.rows,
                    "expectations": audit.evaluated,
                    "failed_blocking": len(audit.blocking_failures),
                    "failed_warning": len(audit.failures) - len(audit.blocking_failures),
                    "data_docs": dg.MetadataValue.path(str(report.data_docs or "")),
                },
            )

    return quality_gate


# Raw is audited before dbt runs (no point modelling a load that lost rows), the models after.
raw_quality_gate = _quality_gate(
    "raw_quality_gate", ("raw",), "Every loaded row is in its raw table."
)
models_quality_gate = _quality_gate(
    "models_quality_gate",
    ("staging", "marts"),
    "Staging and marts: keys, ranges, conservation, freshness, anomalies vs last release.",
)


def definitions() -> dg.Definitions:
    return dg.Definitions(asset_checks=[raw_quality_gate, models_quality_gate])

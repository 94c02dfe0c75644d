"""Stage 4: great-expectations suites on the marts, as blocking checks: a failure stops publish."""

import dagster as dg

from data_quality.gate import audit_marts
from orchestration.defs.resources import DangolResource, RunLockResource

AUDITED_MARTS = ["fct_orders", "dim_customers", "customer_rfm", "segment_members"]


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            name="great_expectations_suite",
            asset=dg.AssetKey(["marts", mart]),
            blocking=True,
            description=f"The marts.{mart} expectation suite in data_quality/suites.py.",
        )
        for mart in AUDITED_MARTS
    ],
)
def marts_expectation_suites(dangol: DangolResource, run_lock: RunLockResource):
    for audit in audit_marts(dangol.paths.build_db):
        schema, table = audit.table.split(".")
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey([schema, table]),
            check_name="great_expectations_suite",
            passed=audit.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=audit.summary(),
            metadata={
                "rows": audit.rows,
                "expectations": audit.evaluated,
                "failed_blocking": len(audit.blocking_failures),
                "failed_warning": len(audit.failures) - len(audit.blocking_failures),
            },
        )


def definitions() -> dg.Definitions:
    return dg.Definitions(asset_checks=[marts_expectation_suites])

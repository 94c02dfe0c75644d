"""The audit in write-audit-publish: expectation suites in code (great-expectations 1.x) and
the gate that turns their results into a typed verdict. No Dagster imports."""

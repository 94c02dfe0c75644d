"""The audit in write-audit-publish: expectation suites in code (great-expectations 1.x), the
gate that turns their results into pass or fail, and the publish step that only a passed
build reaches. No Dagster imports."""

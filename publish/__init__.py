"""Release management in write-audit-publish: each run's build file (a copy of the last
published state plus the new files), the run lock, and releases of the BI warehouse
(publish, list, rollback), each file changed in one rename. No Dagster imports."""

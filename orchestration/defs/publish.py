"""Stage 5: the audited build becomes the published warehouse, then the new state."""

import dagster as dg

from data_quality.publish import publish_release
from ingest.warehouse import commit_build
from orchestration.defs.audit import AUDITED_MARTS
from orchestration.defs.resources import DangolResource


@dg.asset(
    key=["warehouse", "published"],
    deps=[dg.AssetKey(["marts", mart]) for mart in AUDITED_MARTS],
    group_name="publish",
    kinds={"duckdb"},
    description="The BI warehouse (schema marts), replaced in one rename once the audit passed.",
)
def published_warehouse(context: dg.AssetExecutionContext, dangol: DangolResource):
    paths = dangol.paths
    release = publish_release(
        paths.build_db,
        paths.warehouse_dir,
        run_id=context.run.run_id,
        keep_releases=dangol.config.publish.keep_releases,
    )
    # Only now does the build (and its ingest ledger) become what the next run starts from.
    commit_build(paths.build_db, paths.state_db)
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "path": dg.MetadataValue.path(str(release.published)),
            **{f"rows {table}": rows for table, rows in release.table_rows.items()},
        }
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[published_warehouse])

"""Stage 5: the audited build becomes the published warehouse, then the new state."""

import dagster as dg

from operations import progress
from orchestration.defs.customer_value import CLV_MARTS
from orchestration.defs.resources import DangolResource, RunLockResource
from orchestration.defs.transform import dangol_dbt_models, dangol_dbt_segments
from orchestration.failpoints import failpoint
from publish.builds import commit_build
from publish.releases import TableWrite, publish_contacts, publish_release


@dg.asset(
    key=["warehouse", "published"],
    # Everything in schema marts, which is what a release holds; their checks gate it.
    deps=sorted(
        [key for key in dangol_dbt_models.keys | dangol_dbt_segments.keys if key.path[0] == "marts"]
        + CLV_MARTS
    ),
    group_name="publish",
    kinds={"duckdb", "parquet"},
    description="The BI warehouse (schema marts), replaced in one rename once the audit passed.",
)
def published_warehouse(
    context: dg.AssetExecutionContext, dangol: DangolResource, run_lock: RunLockResource
):
    paths = dangol.paths
    progress.stage("Publish: the release BI tools read")
    build_db = dangol.run_build(context.run.run_id)
    release = publish_release(
        build_db,
        paths.warehouse_dir,
        run_id=context.run.run_id,
        keep_releases=dangol.config.publish.keep_releases,
        before_activation=lambda: failpoint("publish.release_written"),
        storage_version=dangol.config.publish.duckdb_storage_version,
        parquet_snapshot=dangol.config.publish.parquet_snapshot,
        resources=dangol.duckdb,
    )
    failpoint("publish.activated")
    publish_contacts(build_db, paths.restricted_db, dangol.duckdb)
    # Only now does the build (and its ingest ledger) become what the next run starts from.
    commit_build(build_db, paths.state_db, dangol.duckdb)
    if release.unchanged:
        context.log.info(f"Data unchanged since release {release.release_id}; kept it.")
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "unchanged": release.unchanged,
            "fingerprint": release.fingerprint,
            "path": dg.MetadataValue.path(str(release.published)),
            **{f"rows {table}": rows for table, rows in release.table_rows.items()},
            # How the release came by each table: kept from the last one, patched, written whole.
            **{
                f"tables {write.value}": ", ".join(
                    sorted(t for t, w in release.table_writes.items() if w == write)
                )
                for write in TableWrite
            },
        }
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[published_warehouse])

"""Stage 2: new landing files into the raw tables of a fresh build warehouse."""

import dagster as dg
import duckdb

from ingest.landing import IngestError, ingest_landing, raw_tables
from orchestration.defs.resources import DangolResource, RunLockResource
from orchestration.failpoints import failpoint
from publish.builds import start_build

RAW_TABLES = raw_tables()


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", table], group_name="ingest", kinds={"duckdb"}) for table in RAW_TABLES
    ],
    description="Start a build from the last published state and load every new landing file.",
)
def landing_exports(
    context: dg.AssetExecutionContext, dangol: DangolResource, run_lock: RunLockResource
):
    paths, config = dangol.paths, dangol.config
    build_db = paths.build_db(context.run.run_id)
    start_build(paths.state_db, build_db)
    with duckdb.connect(str(build_db)) as con:
        try:
            report = ingest_landing(
                con,
                paths.landing,
                run_id=context.run.run_id,
                settings=config.ingest_settings(),
                on_file_loaded=lambda _: failpoint("ingest.file_loaded"),
            )
        except IngestError as error:
            # A user's file, not a bug: say which file and why, without a stack trace.
            raise dg.Failure(description=str(error)) from None
    for outcome in report.files:
        context.log.info(
            f"{outcome.file.name}: {outcome.status} ({outcome.preset}, {outcome.file_format}),"
            f" {outcome.rows_loaded} rows loaded, {outcome.rows_rejected} rejected"
            + (
                f"; new columns kept in _extras: {outcome.unknown_columns}"
                if outcome.unknown_columns
                else ""
            )
        )
    for table in RAW_TABLES:
        yield dg.MaterializeResult(
            asset_key=["raw", table],
            metadata={
                "rows_loaded_this_run": report.rows_loaded(table),
                "files_loaded_this_run": len(report.loaded_files),
            },
        )


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[landing_exports])

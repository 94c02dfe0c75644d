"""Stage 2: new landing files into the raw tables of a fresh build warehouse, and the brand's
suppression list beside them."""

import dagster as dg

from ingest.landing import FileOutcome, IngestError, ingest_landing, raw_tables
from ingest.suppression import RAW_TABLE, SuppressionListError, load_suppression_list
from operations import progress
from operations.preflight import OperatorError, check_first_run_has_exports
from orchestration.defs.resources import DangolResource, RunLockResource
from orchestration.failpoints import failpoint
from publish.builds import start_build
from publish.duckdb_files import connect_build

RAW_TABLES = raw_tables()


def _file_loaded(outcome: FileOutcome) -> None:
    failpoint("ingest.file_loaded")
    progress.note(
        f"{outcome.file.parent.name}/{outcome.file.name}: {outcome.rows_loaded:,} rows loaded,"
        f" {outcome.rows_rejected:,} rejected"
    )


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
    progress.stage("Ingest: new landing files")
    try:
        check_first_run_has_exports(paths.landing, paths.state_db)
    except OperatorError as error:
        raise dg.Failure(description=str(error)) from None
    build_db = paths.build_db
    start_build(paths.state_db, build_db, context.run.run_id)
    with connect_build(build_db, dangol.duckdb) as con:
        try:
            report = ingest_landing(
                con,
                paths.landing,
                run_id=context.run.run_id,
                settings=config.ingest_settings(),
                on_file_loaded=_file_loaded,
                scratch_dir=build_db.parent,
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


@dg.asset(
    key=["raw", RAW_TABLE],
    # After the landing exports: they start the build and keep raw.phone_numbers.
    deps=[dg.AssetKey(["raw", "phone_numbers"])],
    group_name="ingest",
    kinds={"duckdb"},
    description=(
        "The brand's suppression list (consent.suppression_list), replaced whole each run;"
        " its phones are normalised into raw.phone_numbers. An unreadable entry stops the run."
    ),
)
def suppression_list(
    context: dg.AssetExecutionContext, dangol: DangolResource, run_lock: RunLockResource
) -> dg.MaterializeResult:
    paths, config = dangol.paths, dangol.config
    path = config.suppression_list_path(paths.root)
    build_db = dangol.run_build(context.run.run_id)
    with connect_build(build_db, dangol.duckdb) as build:
        try:
            entries = load_suppression_list(build, path, config.ingest_settings())
        except SuppressionListError as error:
            raise dg.Failure(description=str(error)) from None
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "found": path.exists(),
            "entries": entries,
        }
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[landing_exports, suppression_list])

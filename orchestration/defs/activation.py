"""Stage 6: segment lists for marketers (consent applied) and the marketer's report."""

import datetime as dt

import dagster as dg
import duckdb

from activation.exports import (
    MANIFEST,
    ExportError,
    delete_old_exports,
    export_run_folder,
    load_suppression_list,
    write_segment_exports,
)
from activation.report import write_marketing_report
from orchestration.defs.publish import published_warehouse
from orchestration.defs.resources import DangolResource, RunLockResource


@dg.asset(
    key=["exports", "segment_lists"],
    deps=[published_warehouse, dg.AssetKey(["restricted", "segment_audience"])],
    group_name="activate",
    kinds={"csv", "xlsx"},
    description=(
        "Per run, one CSV and XLSX per segment under <home>/exports/<run>/, with manifest.json"
        " (counts, exclusions by reason, checksums, change since the previous export)."
    ),
)
def segment_lists(
    context: dg.AssetExecutionContext, dangol: DangolResource, run_lock: RunLockResource
) -> dg.MaterializeResult:
    paths, config = dangol.paths, dangol.config
    now = dt.datetime.now(dt.UTC)
    with duckdb.connect(str(paths.published_db), read_only=True) as published:
        release_id = published.execute("select release_id from meta.release").fetchone()[0]
    rules, _ = config.segment_rules()
    try:
        suppression = load_suppression_list(
            config.suppression_list_path(paths.root), config.ingest.phone_region
        )
    except ExportError as error:
        raise dg.Failure(description=str(error)) from None
    folder = export_run_folder(paths.exports_dir, context.run.run_id, now)
    manifest = write_segment_exports(
        paths.restricted_db,
        folder,
        context.run.run_id,
        release_id,
        rules,
        suppression,
        now,
    )
    deleted = delete_old_exports(paths.exports_dir, config.exports.retention_days, now)
    people = {name: segment["people"] for name, segment in manifest["segments"].items()}
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(folder)),
            "manifest": dg.MetadataValue.path(str(folder / MANIFEST)),
            "deleted_old_exports": len(deleted),
            **people,
        }
    )


@dg.asset(
    key=["reports", "marketing_report"],
    deps=[segment_lists, published_warehouse],
    group_name="activate",
    kinds={"html"},
    description="One self-contained HTML report per run for marketers (no contact points).",
)
def marketing_report(
    context: dg.AssetExecutionContext, dangol: DangolResource, run_lock: RunLockResource
) -> dg.MaterializeResult:
    paths, config = dangol.paths, dangol.config
    folders = sorted(p for p in paths.exports_dir.iterdir() if (p / MANIFEST).exists())
    report = write_marketing_report(
        paths.published_db,
        [folder / MANIFEST for folder in folders],
        paths.reports_dir / "marketing" / f"{folders[-1].name}.html",
        language=config.report.language,
    )
    return dg.MaterializeResult(metadata={"report": dg.MetadataValue.path(str(report))})


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[segment_lists, marketing_report])

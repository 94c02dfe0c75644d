"""Stage 6: segment lists for marketers (consent applied) and the marketer's report."""

import datetime as dt

import dagster as dg

from activation.exports import (
    MANIFEST,
    delete_old_exports,
    export_manifests,
    export_run_folder,
    write_segment_exports,
)
from activation.report import write_marketing_report
from operations import progress
from orchestration.defs.publish import published_warehouse
from orchestration.defs.resources import DangolResource, RunLockResource
from publish.releases import published_release_id


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
    progress.stage("Segment lists")
    now = dt.datetime.now(dt.UTC)
    release = published_release_id(paths.warehouse_dir)
    folder = export_run_folder(paths.exports_dir, context.run.run_id, now)
    manifest = write_segment_exports(
        paths.restricted_db,
        folder,
        context.run.run_id,
        release[0] if release else None,
        config.segment_rules()[0],
        config.suppression_list_path(paths.root),
        now,
        dangol.duckdb,
    )
    deleted = delete_old_exports(paths.exports_dir, config.exports.retention_days, now)
    people = {name: segment["people"] for name, segment in manifest["segments"].items()}
    for name, listed in people.items():
        progress.note(f"{name}: {listed:,} people")
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
    progress.stage("Marketing report")
    manifests = export_manifests(paths.exports_dir)
    report = write_marketing_report(
        paths.published_db,
        manifests,
        paths.reports_dir / "marketing" / f"{manifests[-1].parent.name}.html",
        language=config.report.language,
        rfm_score_bins=config.rfm.score_bins,
        duckdb_resources=dangol.duckdb,
    )
    return dg.MaterializeResult(metadata={"report": dg.MetadataValue.path(str(report))})


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[segment_lists, marketing_report])

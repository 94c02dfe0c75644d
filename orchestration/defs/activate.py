"""Stage 6: segment lists for marketers, cut from the audience dbt allowed (consent applied)."""

import os

import dagster as dg
import duckdb

from orchestration.defs.publish import published_warehouse
from orchestration.defs.resources import DangolResource, RunLockResource

EXPORT_COLUMNS = """
    customer_name as name, contact, channel, segment_name as segment, reason,
    rfm_segment, recency_days, frequency, monetary, night_consent
"""


@dg.asset(
    key=["exports", "segment_lists"],
    deps=[published_warehouse, dg.AssetKey(["restricted", "segment_audience"])],
    group_name="activate",
    kinds={"csv"},
    description="One CSV per configured segment under <home>/exports/<release id>/.",
)
def segment_lists(dangol: DangolResource, run_lock: RunLockResource) -> dg.MaterializeResult:
    paths = dangol.paths
    with duckdb.connect(str(paths.published_db), read_only=True) as published:
        release_id = published.execute("select release_id from meta.release").fetchone()[0]
    folder = paths.exports_dir / release_id
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    counts = {}
    with duckdb.connect(str(paths.restricted_db), read_only=True) as contacts:
        for segment in dangol.config.segments:
            audience = contacts.execute(
                f"select {EXPORT_COLUMNS} from restricted.segment_audience"
                " where segment_name = ? order by monetary desc, customer_id",
                [segment.name],
            ).df()
            target = folder / f"{segment.name}.csv"
            # Owner-only from the first byte: these files hold names and contact points.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
                audience.to_csv(handle, index=False)
            counts[segment.name] = len(audience)
    return dg.MaterializeResult(metadata={"folder": dg.MetadataValue.path(str(folder)), **counts})


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[segment_lists])

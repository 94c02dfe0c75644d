"""Sample exports for the demo: not part of the pipeline job, materialised on request."""

import dagster as dg

from orchestration.defs.resources import DangolResource
from sample_data.base_exports import write_sample_exports
from sample_data.more_exports import write_channel_exports


class SampleExportsConfig(dg.Config):
    customers: int = 2_000
    seed: int = 7
    dirt_rate: float = 0.02


@dg.asset(key=["landing", "sample_exports"], group_name="demo", kinds={"csv"})
def sample_exports(config: SampleExportsConfig, dangol: DangolResource) -> dg.MaterializeResult:
    """Realistic export files of every supported format written into the landing folder."""
    written = write_sample_exports(dangol.paths.landing, config.customers, config.seed)
    others = write_channel_exports(dangol.paths.landing, config.seed, dirt_rate=config.dirt_rate)
    return dg.MaterializeResult(
        metadata={
            "landing": dg.MetadataValue.path(str(dangol.paths.landing)),
            "orders": written.orders,
            "contacts": written.contacts,
            "engagement_events": written.engagement_events,
            **{f"{name}_rows": rows for name, rows in others.rows.items()},
        }
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[sample_exports])

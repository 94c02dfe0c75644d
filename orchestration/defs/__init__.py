"""Each concern of the pipeline returns its own definitions; `build_definitions` merges them."""

import dagster as dg

from orchestration.defs import (
    activation,
    audit,
    automation,
    customer_value,
    ingest,
    publish,
    sample_data,
    transform,
)
from orchestration.defs.resources import DangolResource, RunLockResource


def build_definitions(dangol: DangolResource) -> dg.Definitions:
    return dg.Definitions.merge(
        sample_data.definitions(),
        ingest.definitions(),
        transform.definitions(),
        customer_value.definitions(),
        audit.definitions(),
        publish.definitions(),
        activation.definitions(),
        automation.definitions(dangol.config.timezone, dangol.config.automation),
        dg.Definitions(
            resources={
                "dangol": dangol,
                "run_lock": RunLockResource(lock_file=str(dangol.paths.lock_file), dangol=dangol),
                "dbt": transform.dbt_resource(),
            },
            # One process per run: the run lock and the build file are held by one owner.
            executor=dg.in_process_executor,
        ),
    )

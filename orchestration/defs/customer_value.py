"""Stage 3b: predicted customer value (BG/NBD, Gamma-Gamma) written into the build warehouse
after the transform and before the quality gate, which audits it with everything else."""

import dagster as dg

from customer_value.warehouse import SUMMARY, TABLES, predict_in_warehouse
from orchestration.defs.resources import DangolResource, RunLockResource

CLV_MARTS = [dg.AssetKey(["marts", table]) for table in TABLES]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[dg.AssetKey(SUMMARY.split("."))],
            group_name="marts",
            kinds={"python", "duckdb"},
            description=f"{key.path[1]}: written by customer_value/ (customer_value/warehouse.py).",
        )
        for key in CLV_MARTS
    ],
    name="customer_value_model",
)
def customer_value_model(
    context: dg.AssetExecutionContext, dangol: DangolResource, run_lock: RunLockResource
):
    result = predict_in_warehouse(
        dangol.run_build(context.run.run_id), dangol.config.clv.settings(), dangol.duckdb
    )
    if result.predicted:
        context.log.info(f"CLV predicted for {len(result.customer_clv)} customers")
    else:
        # Not a failure: everything else publishes; the gate warns and the report says why.
        context.log.warning(f"No CLV prediction this release: {result.reason}")
    fit = {
        f"{row.model}.{row.parameter}": float(row.value) for row in result.model_fit.itertuples()
    }
    for key in CLV_MARTS:
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "predicted": result.predicted,
                "reason": result.reason or "",
                "customers": len(result.customer_clv),
                **(fit if key.path[1] == "clv_model_fit" else {}),
            },
        )


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[customer_value_model])

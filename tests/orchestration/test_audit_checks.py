"""The quality gate's asset checks carry their verdict typed, for the runner to read."""

import uuid
from pathlib import Path

import dagster as dg
import duckdb

from ingest.landing import ensure_raw_schema
from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.defs.audit import LOADED_RAW_TABLES, raw_quality_gate
from orchestration.defs.resources import DangolResource, RunLockResource
from publish.builds import start_build


def run_raw_gate(tmp_path: Path, ledger_rows: int) -> dict[str, dict]:
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    run_id = str(uuid.uuid4())
    start_build(home.state_db, home.build_db, run_id)
    with duckdb.connect(str(home.build_db)) as con:
        ensure_raw_schema(con)
        con.execute(
            "insert into raw.ingest_files by name select 1 as ingest_file_seq,"
            " 'sha-1' as file_sha256, 'shop' as source_family, 'shopify_orders' as preset,"
            " 'shopify_orders' as raw_table, 'orders_export_1.csv' as file_name,"
            " 100 as file_bytes, ? as rows_read, ? as rows_loaded, 0 as rows_rejected,"
            " [] as unknown_columns, 'r0' as run_id, now() as ingested_at",
            [ledger_rows, ledger_rows],
        )
    defs = dg.Definitions(
        assets=[dg.AssetSpec(["raw", table]) for table in LOADED_RAW_TABLES],
        asset_checks=[raw_quality_gate],
        resources={
            "dangol": DangolResource(
                home=str(home.root), landing=str(home.landing), config_path=str(DEFAULT_CONFIG)
            ),
            "run_lock": RunLockResource(lock_file=str(home.lock_file)),
        },
    )
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        run_id=run_id, raise_on_error=False
    )
    return {
        e.asset_key.path[1]: {k: v.value for k, v in e.metadata.items()}
        for e in result.get_asset_check_evaluations()
    }


def test_a_row_lost_on_ingest_is_blocked_and_not_an_anomaly(tmp_path: Path):
    checks = run_raw_gate(tmp_path, ledger_rows=3)  # the ledger says 3, the table has none

    assert checks["shopify_orders"]["verdict"] == "blocked"
    assert checks["shopify_orders"]["anomaly_blocked"] is False
    assert {checks[t]["verdict"] for t in LOADED_RAW_TABLES if t != "shopify_orders"} == {"passed"}

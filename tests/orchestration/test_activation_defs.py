"""The activation assets wire the packages together: materialised on a small home in tmp_path
(a published warehouse and a restricted contacts file), no pipeline run."""

import json
import uuid
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.defs import build_definitions
from orchestration.defs.activation import marketing_report, segment_lists
from orchestration.defs.ingest import suppression_list
from orchestration.defs.resources import DangolResource, RunLockResource
from publish.builds import start_build
from tests.activation.test_exports import AUDIENCE
from tests.activation.test_report import WAREHOUSE

SUPPRESSION = dg.AssetKey(["raw", "suppression_list"])


def test_the_suppression_list_feeds_dbt_after_the_landing_exports(tmp_path: Path):
    dangol = DangolResource(
        home=str(tmp_path), landing=str(tmp_path), config_path=str(DEFAULT_CONFIG)
    )
    graph = build_definitions(dangol).resolve_asset_graph()

    staging = graph.get(dg.AssetKey(["staging", "stg_consent__suppression_list"]))
    assert SUPPRESSION in staging.parent_keys
    assert dg.AssetKey(["raw", "phone_numbers"]) in graph.get(SUPPRESSION).parent_keys
    # So a list that cannot be read stops the dbt build, the release and every export.
    upstream = dg.AssetSelection.assets(segment_lists).upstream().resolve(graph)
    assert SUPPRESSION in upstream


def test_an_unreadable_entry_fails_the_step_naming_file_line_and_column(tmp_path: Path):
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    home.build_dir.mkdir(parents=True)
    (home.root / "suppression.csv").write_text("phone\n010-1000-0005\n02-12\n", "utf-8")
    dangol = DangolResource(
        home=str(home.root), landing=str(home.landing), config_path=str(DEFAULT_CONFIG)
    )
    job = dg.Definitions(
        assets=[suppression_list],
        jobs=[dg.define_asset_job("load", selection=[SUPPRESSION])],
        resources={"dangol": dangol, "run_lock": RunLockResource(lock_file=str(home.lock_file))},
    ).resolve_job_def("load")
    run_id = str(uuid.uuid4())
    start_build(home.state_db, home.build_db, run_id)
    duckdb.connect(str(home.build_db)).close()

    result = job.execute_in_process(run_id=run_id, raise_on_error=False)

    (failure,) = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith(
        f"{home.root / 'suppression.csv'}, line 3, column phone: '0*-**'"
    )  # masked


def test_segment_lists_and_report_from_the_published_release(tmp_path: Path):
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    home.warehouse_dir.mkdir(parents=True)
    with duckdb.connect(str(home.published_db)) as con:
        con.execute("set variable markup = 'x'")
        con.execute(WAREHOUSE)
        con.execute("alter table meta.release add column fingerprint varchar")
    home.restricted_db.parent.mkdir(parents=True)
    with duckdb.connect(str(home.restricted_db)) as con:
        con.execute(AUDIENCE)
        con.execute(
            "update restricted.segment_audience set segment_name = 'vip_top_decile',"
            " channel = 'kakao' where segment_name = 'win_back_sms'"
        )
    dangol = DangolResource(
        home=str(home.root), landing=str(home.landing), config_path=str(DEFAULT_CONFIG)
    )

    result = dg.materialize(
        [segment_lists, marketing_report],
        resources={"dangol": dangol, "run_lock": RunLockResource(lock_file=str(home.lock_file))},
    )

    exported = result.asset_materializations_for_node("exports__segment_lists")[0].metadata
    manifest = json.loads(Path(exported["manifest"].value).read_text(encoding="utf-8"))
    assert manifest["release_id"] == "r-20260310"
    # Per-segment people counts (the CLI prints them); a segment without members lists nobody.
    assert exported["vip_top_decile"].value == 2
    assert manifest["segments"]["vip_top_decile"]["members"] == 4
    assert manifest["segments"]["advocates"]["people"] == 0
    report = result.asset_materializations_for_node("reports__marketing_report")[0].metadata[
        "report"
    ]
    assert Path(report.value).name == f"{Path(exported['folder'].value).name}.html"

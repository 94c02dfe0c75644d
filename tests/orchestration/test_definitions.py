import shutil
from pathlib import Path

import dagster as dg

from orchestration.config import DEFAULT_CONFIG
from orchestration.defs import build_definitions
from orchestration.defs.resources import DangolResource
from tests.conftest import FIXTURES, copy_home, good_run_of_today


def make_defs(tmp_path: Path) -> dg.Definitions:
    return build_definitions(
        DangolResource(
            home=str(tmp_path / "home"),
            landing=str(tmp_path / "landing"),
            config_path=str(DEFAULT_CONFIG),
        )
    )


def test_workspace_module_loads():
    from orchestration.definitions import defs

    defs.resolve_all_job_defs()
    assert defs.resolve_job_def("dangol_pipeline")


def test_every_stage_is_in_the_asset_graph(tmp_path: Path):
    graph = make_defs(tmp_path).resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}

    assert {
        "landing/sample_exports",
        "raw/shopify_orders",
        "raw/crm_contacts",
        "raw/sns_engagement_events",
        "staging/stg_shopify__orders",
        "marts/fct_orders",
        "marts/dim_customers",
        "marts/customer_rfm",
        "warehouse/published",
        "restricted/consent_facts",
        "restricted/segment_audience",
        "exports/segment_lists",
        "reports/marketing_report",
    } <= keys
    # dbt sources resolve to the ingest assets, so the graph is one connected flow.
    assert (
        dg.AssetKey(["raw", "shopify_orders"])
        in graph.get(dg.AssetKey(["staging", "stg_shopify__orders"])).parent_keys
    )


def test_publish_is_gated_by_blocking_checks(tmp_path: Path):
    graph = make_defs(tmp_path).resolve_asset_graph()
    fct_orders = dg.AssetKey(["marts", "fct_orders"])
    fct_orders_checks = {
        key.name: graph.get_check_spec(key)
        for key in graph.asset_check_keys
        if key.asset_key == fct_orders
    }

    assert fct_orders_checks["great_expectations_suite"].blocking
    assert "column_rules_fct_orders" in fct_orders_checks  # a dbt test, as a check
    published = graph.get(dg.AssetKey(["warehouse", "published"]))
    assert fct_orders in published.parent_keys


def test_schedule_runs_daily_in_seoul_and_starts_stopped_unless_served(tmp_path: Path, monkeypatch):
    schedule = make_defs(tmp_path).resolve_schedule_def("dangol_daily")

    assert schedule.execution_timezone == "Asia/Seoul"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.job_name == "dangol_pipeline"
    monkeypatch.setenv("DANGOL_SERVE", "1")  # `dangol serve`: the production daemon
    served = make_defs(tmp_path)
    assert served.resolve_schedule_def("dangol_daily").default_status.value == "RUNNING"
    assert served.resolve_sensor_def("new_landing_files").default_status.value == "RUNNING"


def test_sensor_requests_a_run_only_when_files_land(tmp_path: Path, fixture_landing: Path):
    dangol = DangolResource(
        home=str(tmp_path / "home"), landing=str(tmp_path / "watched"), config_path="unused"
    )
    (tmp_path / "watched" / "shop").mkdir(parents=True)
    new_landing_files = make_defs(tmp_path).resolve_sensor_def("new_landing_files")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"dangol": dangol})
        # An empty landing starts nothing: a run would only fail for want of exports.
        assert isinstance(new_landing_files(context), dg.SkipReason)
        assert context.cursor is None

        shutil.copy(fixture_landing / "shop" / "orders_export_1.csv", tmp_path / "watched" / "shop")
        context = dg.build_sensor_context(
            instance=instance, cursor=context.cursor, resources={"dangol": dangol}
        )
        assert isinstance(new_landing_files(context), dg.RunRequest)
        context = dg.build_sensor_context(
            instance=instance, cursor=context.cursor, resources={"dangol": dangol}
        )
        assert isinstance(new_landing_files(context), dg.SkipReason)


def test_schedule_and_sensor_start_no_run_when_nothing_is_new(fixture_release, tmp_path: Path):
    home = good_run_of_today(copy_home(fixture_release, tmp_path))
    dangol = DangolResource(
        home=str(home.root), landing=str(home.landing), config_path=str(DEFAULT_CONFIG)
    )
    defs = make_defs(tmp_path)
    daily = defs.resolve_schedule_def("dangol_daily")
    new_landing_files = defs.resolve_sensor_def("new_landing_files")
    # Each context is closed by its `with`: an open one leaves Dagster's instance set for the
    # rest of the test process, which then fails to load definitions.
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(instance=instance, resources={"dangol": dangol}) as at_six,
        dg.build_sensor_context(instance=instance, resources={"dangol": dangol}) as sensor,
    ):
        skipped = daily(at_six)
        # A fresh sensor cursor (a new daemon) sees files, but they are those of the last run.
        sensed = new_landing_files(sensor)
        assert isinstance(skipped, dg.SkipReason) and isinstance(sensed, dg.SkipReason)
        assert skipped.skip_message.startswith("Nothing new since run")
        assert sensed.skip_message == skipped.skip_message

        later = FIXTURES / "later_exports" / "shop" / "orders_export_2.csv"
        shutil.copy(later, home.landing / "shop")
        with dg.build_schedule_context(instance=instance, resources={"dangol": dangol}) as again:
            assert isinstance(daily(again), dg.RunRequest)

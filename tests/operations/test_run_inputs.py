"""Nothing new: which changes make a run go, and that the check stays cheap (no Dagster, dbt or
great-expectations import)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from operations.run_inputs import (
    check_nothing_new,
    forget_good_run,
    record_good_run,
    run_inputs,
)
from orchestration.cli import app
from orchestration.config import DEFAULT_CONFIG, DangolHome, load_config
from orchestration.manifest import DBT_PROJECT_DIR
from publish.releases import publish_release
from tests.conftest import FIXTURES, PUBLISH

NOON = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)  # 12:00 in Seoul


@pytest.fixture
def home(tmp_path: Path) -> DangolHome:
    """A home whose last good run saw the fixture landing, the default config, at NOON."""
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    shutil.copytree(FIXTURES / "landing", home.landing)
    record_good_run(
        home, run_inputs(home, load_config(DEFAULT_CONFIG), NOON), "run-1", "release-1", "t"
    )
    return home


def changed(home: DangolHome, config_file: Path = DEFAULT_CONFIG, now=NOON) -> tuple[str, ...]:
    check = check_nothing_new(home, load_config(config_file), now)
    assert check.last_good_run.run_id.startswith("run-")
    assert check.nothing_new == (not check.changed)
    return check.changed


def test_nothing_changed_is_nothing_new_and_says_since_which_run(home: DangolHome):
    check = check_nothing_new(home, load_config(DEFAULT_CONFIG), NOON + dt.timedelta(hours=5))

    assert check.nothing_new
    assert "Nothing new since run run-1 (release release-1, t)" in check.describe()


def test_a_new_file_or_a_changed_file_makes_the_run_go(home: DangolHome):
    shop = home.landing / "shop"
    shutil.copy(FIXTURES / "later_exports" / "shop" / "orders_export_2.csv", shop)
    assert changed(home) == ("landing files",)

    (shop / "orders_export_2.csv").unlink()
    assert changed(home) == ()  # the landing as it was: nothing new again
    exported = next(shop.glob("*.csv"))
    exported.write_bytes(exported.read_bytes() + b"\n")
    assert changed(home) == ("landing files",)


def test_a_suppression_list_makes_the_run_go(home: DangolHome):
    (home.root / "suppression.csv").write_text("email\nno@example.com\n", encoding="utf-8")

    assert changed(home) == ("suppression list",)


def test_a_changed_setting_makes_the_run_go_but_not_an_alert_destination(
    home: DangolHome, tmp_path: Path
):
    settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings["alerts"] = {"destinations": ["json://127.0.0.1:9/hook"]}
    config = tmp_path / "dangol.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    assert changed(home, config) == ()

    settings["loyalty"]["expected_purchase_cycle_days"] = 45
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    assert changed(home, config) == ("config", "dbt project")


def test_a_changed_model_file_changes_the_dbt_project_input(home: DangolHome, tmp_path: Path):
    project = tmp_path / "dbt_project"
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(DBT_PROJECT_DIR / folder, project / folder)
    config = load_config(DEFAULT_CONFIG)
    before = run_inputs(home, config, NOON, project)
    assert before == run_inputs(home, config, NOON)  # the copy is the same project

    model = project / "models" / "marts" / "customer_rfm.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- a change\n", encoding="utf-8")
    after = run_inputs(home, config, NOON, project)
    assert [name for name in before if before[name] != after[name]] == ["dbt project"]


@pytest.mark.parametrize("rfm_as_of", ["run_date", "latest_order"])
def test_a_new_day_makes_the_run_go(home: DangolHome, tmp_path: Path, rfm_as_of: str, monkeypatch):
    """Recency (rfm.as_of run_date) moves with the day, and so do consent expiry and the
    freshness checks whatever rfm.as_of says."""
    monkeypatch.setenv("TZ", "UTC")  # this machine's day (DuckDB's current_date) too
    time.tzset()
    settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings["rfm"]["as_of"] = rfm_as_of
    config = tmp_path / "dangol.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    record_good_run(home, run_inputs(home, load_config(config), NOON), "run-2", "r", "t")

    assert changed(home, config, NOON + dt.timedelta(hours=11)) == ()  # 23:00 in Seoul
    assert changed(home, config, NOON + dt.timedelta(hours=12)) == ("day",)  # 00:00 next day


def test_a_rollback_or_a_changed_warehouse_makes_the_run_go(home: DangolHome):
    home.published_db.parent.mkdir(parents=True)
    home.published_db.write_bytes(b"another release")
    assert changed(home)[0].startswith("the warehouse")

    forget_good_run(home)
    check = check_nothing_new(home, load_config(DEFAULT_CONFIG), NOON)
    assert not check.nothing_new and check.describe() == "No run has succeeded yet"


def test_the_check_imports_neither_dagster_nor_dbt_nor_great_expectations(home: DangolHome):
    record_good_run(home, run_inputs(home, load_config(DEFAULT_CONFIG)), "run-2", "r", "t")
    script = (
        "import sys\n"
        "import orchestration.cli\n"
        "from operations.run_inputs import check_nothing_new\n"
        "from orchestration.config import DangolHome, load_config\n"
        f"home = DangolHome.resolve({str(home.root)!r}, {str(home.landing)!r})\n"
        "assert check_nothing_new(home, load_config()).nothing_new\n"
        "heavy = {'dagster', 'dbt', 'great_expectations', 'pandas'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "DANGOL_CONFIG": str(DEFAULT_CONFIG)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=60)


def test_dangol_rollback_makes_the_next_run_go(home: DangolHome, build_db: Path):
    for run_id in ("run-one-0000", "run-two-0000"):
        publish_release(build_db, home.warehouse_dir, run_id, **PUBLISH)
        with duckdb.connect(str(build_db)) as con:
            con.execute("delete from marts.fct_orders where order_id = 'shopify-2'")
    record_good_run(home, run_inputs(home, load_config(DEFAULT_CONFIG), NOON), "run-2", "r", "t")
    assert changed(home) == ()

    rolled_back = CliRunner().invoke(app, ["rollback", "--home", str(home.root)])

    assert rolled_back.exit_code == 0, rolled_back.output
    assert not check_nothing_new(home, load_config(DEFAULT_CONFIG), NOON).nothing_new

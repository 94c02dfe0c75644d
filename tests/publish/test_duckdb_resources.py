"""Every DuckDB the pipeline opens, its own and dbt's, keeps to dangol.yaml `duckdb:` and
spills inside the home."""

import re
from pathlib import Path

import yaml
from dbt.config.renderer import ProfileRenderer

from orchestration.config import REPO_ROOT, DangolConfig, DangolHome
from orchestration.dbt_vars import dbt_vars
from publish.duckdb_files import connect

# The build's stages; `dangol status` (operations/) reads a few rows outside any run.
BUILD_PACKAGES = (
    "ingest",
    "data_quality",
    "customer_value",
    "publish",
    "activation",
    "orchestration",
)
HELPER = REPO_ROOT / "publish" / "duckdb_files.py"


def brand_config(**duckdb) -> DangolConfig:
    return DangolConfig(identity={"customer_key_salt": "any-brand-salt"}, duckdb=duckdb)


def test_a_pipeline_connection_has_the_configured_memory_threads_and_spill_folder(tmp_path):
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    resources = brand_config(memory_limit="700MiB", threads=1).duckdb_resources(home)

    with connect(tmp_path / "build.duckdb", resources) as con:
        memory, threads, spill = con.execute(
            "select current_setting('memory_limit'), current_setting('threads'),"
            " current_setting('temp_directory')"
        ).fetchone()

    assert (memory, threads) == ("700.0 MiB", 1)
    assert Path(spill).is_relative_to(home.build_dir)
    # Spilled pages are the build's personal data: an owner-only folder, gone after the run.
    assert Path(spill).stat().st_mode & 0o077 == 0
    assert Path(spill).parent.stat().st_mode & 0o077 == 0


def stage_lines_where(matches) -> list[str]:
    """file:line of each line of the build's stages (the helper aside) that `matches`."""
    return [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for package in BUILD_PACKAGES
        for path in (REPO_ROOT / package).rglob("*.py")
        if path != HELPER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if matches(line)
    ]


def test_no_stage_opens_duckdb_but_through_the_helper():
    opened = stage_lines_where(lambda line: re.search(r"\bduckdb\.connect\(", line))
    assert opened == [], "open DuckDB with publish.duckdb_files.connect and the run's resources"


def test_dbt_gets_the_same_memory_and_threads_and_its_own_spill_folder_in_the_home(tmp_path):
    config = brand_config(memory_limit="700MiB", threads=1)
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")
    spill = home.duckdb_spill_dir / "dbt"
    profiles = yaml.safe_load((REPO_ROOT / "dbt_project" / "profiles.yml").read_text("utf-8"))
    run_vars = {**dbt_vars(config), "dangol_build_db": "b.duckdb", "dangol_spill_dir": str(spill)}

    rendered = ProfileRenderer(run_vars).render_data(profiles["dangol"]["outputs"]["build"])

    pipeline = config.duckdb_resources(home).settings()
    # dbt-duckdb opens DuckDB with them as its config, which takes them as text.
    settings = {key: str(value) for key, value in rendered["config_options"].items()}
    # And one option of dbt's alone: its models keep `row_number() ... = 1` a window (the
    # profile says why); the pipeline's own queries have none.
    keeps_windows = {"disabled_optimizers": "top_n_window_elimination"}
    assert settings == {**pipeline, "temp_directory": str(spill), **keeps_windows}


def test_every_stage_writes_the_build_through_connect_build():
    """A connection that writes the build and checkpoints would change the state before the
    run commits (publish.builds): only connect_build holds DuckDB's checkpoints back."""
    writes = stage_lines_where(
        lambda line: re.search(r"\bconnect\(\s*build_db\b", line) and "read_only=True" not in line
    )
    assert writes == [], "write the build with publish.duckdb_files.connect_build"

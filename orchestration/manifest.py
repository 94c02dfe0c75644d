"""The dbt manifest that dagster-dbt reads when definitions load: made by `dbt parse`, on
demand (CLI, `dagster dev`, make), never as a side effect of importing the definitions."""

import json
import subprocess
import sys
from pathlib import Path

from orchestration.config import REPO_ROOT, load_config
from orchestration.dbt_vars import run_dbt_vars

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# segment_members filters on marts customer_value/ writes after the first `dbt build`, so it
# and what reads it (segment_audience) are built in a second step, after the CLV asset.
SEGMENT_MODELS = "segment_members+"


def dbt_executable() -> Path:
    """The dbt installed beside this Python, even when its bin folder is not on PATH (cron), in
    the process orchestration/dbt_process.py starts."""
    return Path(sys.executable).with_name("dangol-dbt")


def manifest_is_stale() -> bool:
    if not DBT_MANIFEST.exists():
        return True
    built = DBT_MANIFEST.stat().st_mtime
    return any(
        path.stat().st_mtime > built
        for path in DBT_PROJECT_DIR.rglob("*")
        if path.suffix in {".sql", ".yml", ".csv", ".md"} and "target" not in path.parts
    )


def ensure_dbt_manifest(force: bool = False) -> None:
    if force or manifest_is_stale():
        parse_vars = ["--vars", json.dumps(run_dbt_vars(load_config()))]
        subprocess.run(
            [str(dbt_executable()), "parse", "--quiet", "--profiles-dir", ".", *parse_vars],
            cwd=DBT_PROJECT_DIR,
            check=True,
        )

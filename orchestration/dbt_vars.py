"""The vars dbt reads with var(), from the config: dbt_project.yml restates none of them.

A run passes them with `--vars`, and where its build is (BUILD_VARS); so do `dbt parse` (make,
orchestration/manifest.py) and the tests that call dbt directly. `make lint` writes them into a
config for sqlfluff's dbt templater (`--sqlfluff-config`), whose ini file cannot hold lists and
mappings.

    python -m orchestration.dbt_vars    # a run's --vars JSON, from $DANGOL_CONFIG or dangol.yaml
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from activation.segments import segment_dbt_vars
from orchestration.config import DangolConfig, load_config


def dbt_vars(config: DangolConfig) -> dict[str, object]:
    """Every var a dbt invocation needs: the config's settings, its segment filters and what
    dbt's DuckDB may use (not in the incremental history's fingerprint: no result depends on
    it)."""
    rules, _ = config.segment_rules()
    return {**config.dbt_vars(), **segment_dbt_vars(rules), **config.duckdb.dbt_vars()}


# Where a run's dbt finds its build and spills, relative to the build folder it works in
# (`dangol-dbt --dangol-workdir`, orchestration/dbt_process.py). dbt parses the whole project
# again when its vars or profile differ from its last parse; with the same text for every home,
# the parse `make` did serves the first run of a new home too.
BUILD_VARS = {"dangol_build_db": "pipeline.duckdb", "dangol_spill_dir": "spill/dbt"}


def run_dbt_vars(config: DangolConfig) -> dict[str, object]:
    """The vars of a run's dbt: the config's, and where its build is."""
    return {**dbt_vars(config), **BUILD_VARS}


def write_sqlfluff_config(values: dict[str, object], path: Path) -> None:
    import tomlkit

    path.parent.mkdir(parents=True, exist_ok=True)
    # sqlfluff reads TOML (lists, tables) only from a file named pyproject.toml.
    document = {"tool": {"sqlfluff": {"templater": {"dbt": {"context": values}}}}}
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="config file [default: dangol.yaml]")
    parser.add_argument(
        "--sqlfluff-config",
        type=Path,
        metavar="PATH/pyproject.toml",
        help="write the vars as a sqlfluff config for the dbt templater instead of printing",
    )
    args = parser.parse_args(argv)
    config = load_config(args.config)
    if args.sqlfluff_config:
        # Lint the SQL this project wrote, not the SQL a brand's segment filters render into.
        write_sqlfluff_config({**dbt_vars(config), "segments": []}, args.sqlfluff_config)
    else:
        # `make`'s parse: the vars a run passes, so that runs start from it.
        print(json.dumps(run_dbt_vars(config), ensure_ascii=False))


if __name__ == "__main__":
    main()

"""The vars dbt reads with var(), from the config: dbt_project.yml restates none of them.

A run passes them with `--vars`; so do `dbt parse` (make, orchestration/manifest.py) and the
tests that call dbt directly. `make lint` writes them into a config for sqlfluff's dbt
templater (`--sqlfluff-config`), whose ini file cannot hold lists and mappings.

    python -m orchestration.dbt_vars    # JSON for --vars, from $DANGOL_CONFIG or dangol.yaml
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
    values = dbt_vars(load_config(args.config))
    if args.sqlfluff_config:
        # Lint the SQL this project wrote, not the SQL a brand's segment filters render into.
        write_sqlfluff_config({**values, "segments": []}, args.sqlfluff_config)
    else:
        print(json.dumps(values, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Stage 3: `dbt build` on the build warehouse; dbt tests appear as Dagster asset checks."""

import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from packaging.version import Version

from data_quality.dbt_tests import broken_rules
from operations import progress
from operations.outcomes import disk_full_problem
from orchestration.dbt_process import WORKDIR_FLAG
from orchestration.dbt_vars import BUILD_VARS, run_dbt_vars
from orchestration.defs.resources import DangolResource, RunLockResource
from orchestration.failpoints import failpoint
from orchestration.manifest import (
    DBT_PROJECT_DIR,
    SEGMENT_MODELS,
    dbt_executable,
    ensure_dbt_manifest,
)
from orchestration.warm_dbt import warm_dbt
from publish.builds import (
    drop_retired_relations,
    history_fingerprint,
    needs_full_refresh,
    record_dbt_process,
    record_history_fingerprint,
)
from publish.duckdb_files import make_spill_folder

PARTIAL_PARSE = "partial_parse.msgpack"  # dbt's file name

dangol_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# What DbtProject.prepare_if_dev does, but with the project's own dbt, not the one on PATH.
if os.getenv("DAGSTER_IS_DEV_CLI"):
    ensure_dbt_manifest()


class DangolDbtTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, name]: raw.shopify_orders, marts.fct_orders, ..."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        schema = props["schema"]
        return spec.replace_attributes(
            key=dg.AssetKey([schema, props["name"]]),
            group_name=spec.group_name if props["resource_type"] == "source" else schema,
        )


@dbt_assets(
    manifest=dangol_dbt_project.manifest_path,
    project=dangol_dbt_project,
    dagster_dbt_translator=DangolDbtTranslator(),
    exclude=SEGMENT_MODELS,
)
def dangol_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    dangol: DangolResource,
    run_lock: RunLockResource,
):
    build_db = _build_db(context, dangol)
    history = history_fingerprint(dangol.config.dbt_vars(), DBT_PROJECT_DIR)
    refresh = needs_full_refresh(build_db, history, dangol.duckdb)
    if refresh:
        context.log.info("Rebuilding incremental models in full: new code or dangol.yaml")
        if dropped := drop_retired_relations(build_db, dangol.duckdb):
            context.log.info(f"Dropped what models the project no longer has left: {dropped}")
    refresh_args = ["--full-refresh"] if refresh else []
    yield from _dbt_build(
        context, dbt, dangol, build_db, refresh_args, "dbt build: models and tests"
    )
    record_history_fingerprint(
        build_db, history, dangol.duckdb, run_id=context.run.run_id, rebuilt=refresh
    )


@dbt_assets(
    manifest=dangol_dbt_project.manifest_path,
    project=dangol_dbt_project,
    dagster_dbt_translator=DangolDbtTranslator(),
    select=SEGMENT_MODELS,
    name="dangol_dbt_segments",
)
def dangol_dbt_segments(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    dangol: DangolResource,
    run_lock: RunLockResource,
):
    build_db = _build_db(context, dangol)
    yield from _dbt_build(context, dbt, dangol, build_db, [], "dbt build: segment lists")


def _build_db(context: dg.AssetExecutionContext, dangol: DangolResource):
    return dangol.run_build(context.run.run_id)


def _dbt_build(
    context, dbt: DbtCliResource, dangol: DangolResource, build_db, extra: list[str], stage: str
):
    """`dbt build` of this step's models (dagster-dbt adds the selection) on the build."""
    # dbt's DuckDB spills into a folder of its own: the pipeline's process holds another.
    make_spill_folder(build_db.parent / BUILD_VARS["dangol_spill_dir"])
    run_vars = run_dbt_vars(dangol.config)
    # Unit tests prove the SQL, not the data: dbt's guidance is to run them in development and
    # CI (`make test` does), not in every production build. dbt's JSON artifacts are not
    # written: manifest.json twice (2 MB each, the same for every run: `make` writes it once),
    # the semantic manifest and run_results.json took about a second of each dbt command; what
    # each node did is in the run's dbt.log and in Dagster's event log.
    args = [
        *("build", "--exclude", "test_type:unit", "--no-write-json"),
        *("--vars", json.dumps(run_vars), *extra),
        *(WORKDIR_FLAG, str(build_db.parent.resolve())),
    ]
    # Artifacts and dbt's log go to the home: a read-only install runs, the checkout stays clean.
    # Both steps of a run share the run's target folder, so the second reuses the first's parse.
    target = dangol.paths.dbt_target(context.run.run_id)
    reuse_parse(dangol.paths.dbt_parse_cache, target)
    nodes = len(context.selected_asset_keys) + len(context.selected_asset_check_keys)
    progress.stage(stage)
    invocation = dbt.cli(args, context=context, target_path=target)
    record_dbt_process(build_db, invocation.process.pid)
    # Failed tests are said once dbt has let go of the build: a model's column-rules test's own
    # rows then name each broken rule and column (dbt says only how many rows it returned).
    failed_tests: list[dg.AssetCheckResult] = []
    try:
        for done, event in enumerate(invocation.stream(), start=1):
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                failed_tests.append(event)
            else:
                yield event
            progress.advance(done, nodes)
            failpoint("transform.running")
        yield from _described(failed_tests, target, build_db, dangol)
        keep_parse(target, dangol.paths.dbt_parse_cache)
    except DagsterDbtCliRuntimeError as error:
        yield from _described(failed_tests, target, build_db, dangol)
        log = target / "dbt.log"
        text = str(error) + (log.read_text("utf-8", errors="replace") if log.exists() else "")
        full = disk_full_problem(text, dangol.paths.root)
        if full:
            raise dg.Failure(description=full) from None
        raise


def _described(
    failed_tests: list[dg.AssetCheckResult], target: Path, build_db: Path, dangol: DangolResource
):
    for check in failed_tests:
        unique_id = check.metadata["unique_id"].value
        try:
            found = broken_rules(
                dangol_dbt_project.manifest_path, unique_id, target, build_db, dangol.duckdb
            )
        except (OSError, KeyError, duckdb.Error):
            found = None  # the check fails all the same; only the broken rules go unsaid
        yield check._replace(description="; ".join(map(str, found))) if found else check


def reuse_parse(cache: Path, target: Path) -> None:
    """dbt parses the whole project (seconds) unless its last parse is in the target folder
    and the project, vars and profile are unchanged. A home's first run finds none here and
    dagster-dbt copies `make`'s, which holds for every home (BUILD_VARS)."""
    if cache.exists() and not (target / PARTIAL_PARSE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, target / PARTIAL_PARSE)


def keep_parse(target: Path, cache: Path) -> None:
    """After a dbt build that worked: its parse is what the next run starts from."""
    if (target / PARTIAL_PARSE).exists():
        partial = cache.with_suffix(".partial")
        shutil.copyfile(target / PARTIAL_PARSE, partial)
        os.replace(partial, cache)


class DangolDbtCliResource(DbtCliResource):
    """Two start-up costs dagster-dbt pays before each dbt command, which this project has no
    use for: `dbt --version` to learn the version (the dbt it runs is the one installed beside
    this Python, so the package says it), and a dbt adapter loaded in this process, parsing
    every macro, only to fetch column metadata and row counts on request (never requested)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["DbtCliResource"]:
        """For the run: a dbt that imports itself while the first steps work, and then runs each
        of the run's dbt commands in a fork (orchestration/warm_dbt.py)."""
        with warm_dbt(), super().yield_for_execution(context) as resource:
            yield resource


def dbt_resource() -> DbtCliResource:
    return DangolDbtCliResource(
        project_dir=dangol_dbt_project, dbt_executable=str(dbt_executable())
    )


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[dangol_dbt_models, dangol_dbt_segments])

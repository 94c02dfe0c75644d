"""Every default lives in the config schema (orchestration/config.py); the rest reads it."""

import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from data_quality.suites import QualityThresholds, Threshold
from ingest.formats import FileLimits
from ingest.landing import IngestSettings
from orchestration.config import REPO_ROOT, DangolConfig, DangolHome
from orchestration.dbt_vars import BUILD_VARS, dbt_vars

DBT_PROJECT = REPO_ROOT / "dbt_project"
# The settings dbt takes from the run itself (its build, its home's spill folder), not the config.
RUN_VARS = {"dangol_build_db", "dangol_spill_dir"}
SCHEMA = REPO_ROOT / "orchestration" / "config.py"
CODE_FOLDERS = (
    "orchestration",
    "customer_value",
    "ingest",
    "data_quality",
    "publish",
    "activation",
    "operations",
)
# Left to the owner of activation/report.py, which is being rewritten: drop the entry with
# write_marketing_report's default language.
KNOWN_COPIES: set[str] = set()


def schema_defaults() -> DangolConfig:
    # The salt is the one setting without a default: a brand must choose its own.
    return DangolConfig(identity={"customer_key_salt": "any-brand-salt"})


def defaults_of(model: BaseModel, path: str = ""):
    """(key path, field name, default) of every scalar setting."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from defaults_of(value, f"{path}{name}.")
        elif isinstance(value, bool | int | float | str):
            yield f"{path}{name}", name, value


def code_files():
    for folder in CODE_FOLDERS:
        yield from (p for p in (REPO_ROOT / folder).rglob("*.py") if p != SCHEMA)


def test_a_runs_dbt_finds_the_build_and_spill_folder_of_the_home_layout(tmp_path: Path):
    """dbt works in the build folder and names both relative to it (BUILD_VARS)."""
    home = DangolHome(root=tmp_path / "home", landing=tmp_path / "landing")

    assert home.build_db.parent / BUILD_VARS["dangol_build_db"] == home.build_db
    assert home.build_db.parent / BUILD_VARS["dangol_spill_dir"] == home.duckdb_spill_dir / "dbt"
    assert set(BUILD_VARS) == RUN_VARS


def test_dbt_project_yml_restates_no_var():
    project = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))

    restated = set(project.get("vars") or {}) & set(dbt_vars(schema_defaults()))
    assert not restated, f"dbt_project.yml restates {restated}: dbt gets them with --vars"


def test_dbt_reads_every_var_from_the_config_without_a_default_of_its_own():
    given = set(dbt_vars(schema_defaults())) | RUN_VARS
    read, with_default = set(), set()
    for path in DBT_PROJECT.glob("[!t]*/**/*"):  # models, macros, seeds; not target/
        if path.suffix in {".sql", ".yml"}:
            text = path.read_text(encoding="utf-8")
            read |= set(re.findall(r"var\(\s*['\"](\w+)['\"]", text))
            with_default |= set(re.findall(r"var\(\s*['\"](\w+)['\"]\s*,", text)) - RUN_VARS

    assert read - given == set(), "dbt reads vars the config does not give"
    assert not with_default, f"var() with a default of its own: {with_default}"


@pytest.mark.parametrize("settings", [IngestSettings, FileLimits, Threshold, QualityThresholds])
def test_settings_the_config_builds_have_no_defaults_of_their_own(settings):
    defaulted = [
        f.name
        for f in dataclasses.fields(settings)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    ]
    assert not defaulted, f"{settings.__name__} restates defaults for {defaulted}"


def restatements(text: str, name: str, default) -> list[str]:
    """`name = default` or `name: type = default` (a field, parameter or constant)."""
    if isinstance(default, bool | str):
        value = re.escape(repr(default)).replace("'", "['\"]")
    else:
        value = r"-?[\d_.]+"
    found = re.finditer(rf"\b{name}\b\s*(?::[^=\n]*)?=\s*({value})(?![\w.])", text)
    return [
        match.group(0)
        for match in found
        if isinstance(default, bool | str) or float(match.group(1)) == float(default)
    ]


def test_the_code_gives_no_setting_a_default_of_its_own():
    defaults = list(defaults_of(schema_defaults()))
    # A distinctive text default (a version, a path) restated under any name is a copy too.
    texts = {value for _, _, value in defaults if isinstance(value, str) and len(value) > 5}

    copies = []
    for path in code_files():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(REPO_ROOT)
        for key, name, default in defaults:
            copies += [f"{where}: {key} as {found}" for found in restatements(text, name, default)]
        for value in texts:
            copies += [f"{where}: {found}" for found in restatements(text, r"\w+", value)]
    assert set(copies) - KNOWN_COPIES == set()


@pytest.mark.parametrize(
    "copy",
    [
        "    keep_releases: int = 5,",
        "    max_reject_rate: float = 0.05",
        '    storage_version: str = "v1.0.0",',
        "def f(exclude_expired_consent=True): ...",
    ],
)
def test_the_check_finds_a_restated_default(copy: str):
    defaults = list(defaults_of(schema_defaults()))
    texts = {value for _, _, value in defaults if isinstance(value, str) and len(value) > 5}

    found = [f for _, name, default in defaults for f in restatements(copy, name, default)]
    found += [f for value in texts for f in restatements(copy, r"\w+", value)]
    assert found


def test_dbt_vars_from_the_shipped_config_are_what_make_and_sqlfluff_get(tmp_path: Path):
    from orchestration.dbt_vars import main

    main(["--sqlfluff-config", str(tmp_path / "pyproject.toml")])

    written = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.sqlfluff.templater.dbt.context]" in written
    assert "lapse_multiplier = 2.0" in written


def test_vocabularies_have_one_home():
    from data_quality.reference import RFM_SEGMENTS

    # Channels: activation.segments.CHANNELS, which dbt's tests read as the `channels` var.
    for path in DBT_PROJECT.glob("models/**/*.yml"):
        assert not re.search(r"values: \[email, sms, kakao", path.read_text(encoding="utf-8"))
    for path in code_files():
        text = path.read_text(encoding="utf-8")
        # RFM segment names: the rfm_segments seed (data_quality.reference reads it).
        named = [name for name in RFM_SEGMENTS if repr(name) in text or f'"{name}"' in text]
        assert len(named) < 3, f"{path} restates the RFM segments: {named}"
        # Order statuses: fct_orders makes them and its accepted_values test lists them.
        assert "partially_refunded" not in text, path

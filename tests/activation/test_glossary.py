"""The one vocabulary: the glossary's pages are fresh, every column it names exists and
describes itself with the glossary's words, and 단골 / 충성 each mean one thing."""

import csv
import re

import pytest
import yaml

from activation import glossary
from activation.report.page import labels as report_labels
from activation.segments import CATALOGUE, PLAYBOOK, RESPONSES
from customer_value.warehouse import TABLES as PYTHON_MARTS
from orchestration.config import (
    DEFAULT_CONFIG,
    DEFAULT_TIERS,
    REPO_ROOT,
    DangolConfig,
    load_config,
)
from orchestration.dbt_vars import dbt_vars

MARTS = REPO_ROOT / "dbt_project" / "models" / "marts"
SEEDS = REPO_ROOT / "dbt_project" / "seeds"


def mart_columns(mart: str) -> dict[str, str | None]:
    """The columns a mart's YAML declares, with their descriptions; for a mart customer_value/
    writes, the columns warehouse.py declares (no YAML holds them, so no description)."""
    if mart in PYTHON_MARTS:
        return {line.split()[0]: None for line in PYTHON_MARTS[mart].strip().splitlines()}
    properties = yaml.safe_load((MARTS / f"{mart}.yml").read_text(encoding="utf-8"))
    (model,) = [m for m in properties["models"] if m["name"] == mart]
    return {c["name"]: str(c.get("description", "")).strip() for c in model["columns"]}


def test_the_glossary_page_and_dbt_docs_blocks_are_generated_from_the_glossary():
    assert glossary.GLOSSARY_PAGE.read_text(encoding="utf-8") == glossary.glossary_page(), (
        "docs/glossary.md is stale: run `python -m activation.glossary`"
    )
    assert glossary.DBT_DOCS_BLOCKS.read_text(encoding="utf-8") == glossary.dbt_docs_blocks(), (
        "dbt_project/models/_glossary.md is stale: run `python -m activation.glossary`"
    )


@pytest.mark.parametrize(
    ("term", "column"),
    [(t, column) for t in glossary.terms() for column in t.columns],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_each_term_names_a_mart_column_that_exists_and_uses_its_definition(term, column):
    mart, name = column.split(".")
    columns = mart_columns(mart)

    assert name in columns, f"{column} is not a column of {mart}"
    # Segments share segment_members.segment_name; a Python mart's columns have no YAML.
    if term.kind != "segment" and columns[name] is not None:
        assert columns[name] == f"{{{{ doc('{term.name}') }}}}", (
            f"{column}: describe it as \"{{{{ doc('{term.name}') }}}}\" (the glossary's)"
        )


def test_a_column_the_glossary_does_not_name_does_not_borrow_a_definition():
    named = {(t.name, *column.split(".")) for t in glossary.terms() for column in t.columns}
    # One YAML per mart; files named _*.yml declare sources, not marts.
    for path in MARTS.glob("[!_]*.yml"):
        for name, description in mart_columns(path.stem).items():
            for used in re.findall(r"doc\('(\w+)'\)", description):
                assert (used, path.stem, name) in named, f"{path.stem}.{name} uses doc('{used}')"


def test_status_values_are_the_ones_the_marts_and_filters_accept():
    lifecycle = [v.name for v in glossary.term("lifecycle_status").values]
    stages = [v.name for v in glossary.term("flywheel_stage").values]

    assert list(CATALOGUE["lifecycle_status"].values) == lifecycle
    responses = [v.name for v in glossary.term("last_campaign_response").values]
    assert list(RESPONSES) == list(CATALOGUE["last_campaign_response"].values) == responses
    churn_risks = [v.name for v in glossary.term("churn_risk").values]
    assert list(CATALOGUE["churn_risk"].values) == churn_risks
    assert set(CATALOGUE["flywheel_stage"].values) == set(stages) - {"lead"}
    labelled = dbt_vars(load_config(DEFAULT_CONFIG))["flywheel_stage_labels"]
    assert labelled == {v.name: v.label_ko for v in glossary.term("flywheel_stage").values}


def test_the_report_and_the_playbook_take_their_words_from_the_glossary():
    for language in ("ko", "en"):
        words = report_labels(language)
        for value in glossary.term("flywheel_stage").values:
            assert words[value.name] == (value.label_ko if language == "ko" else value.label_en)
    for segment in PLAYBOOK:
        assert segment.description == glossary.segment_description(segment.name)


def every_label() -> dict[str, str]:
    """Every customer-facing label: glossary, RFM grid, tiers (schema and shipped config)."""
    found = {}
    for term in glossary.terms():
        found[term.name] = term.label_ko
        found |= {f"{term.name}.{v.name}": v.label_ko for v in term.values}
    with (SEEDS / "rfm_segments.csv").open(encoding="utf-8") as seed:
        found |= {f"rfm:{r['rfm_segment']}": r["rfm_segment_ko"] for r in csv.DictReader(seed)}
    tiers = [*DEFAULT_TIERS, *load_config(DEFAULT_CONFIG).loyalty.tiers]
    found |= {f"tier:{tier.name}": tier.label for tier in tiers}
    return found


def test_dangol_and_chungseong_each_mean_one_thing():
    labels = every_label()

    assert not [key for key, label in labels.items() if "충성" in label]
    # 단골 is the loyal customer (is_loyal) and nothing else; the segment that invites them says so.
    assert sorted(k for k, label in labels.items() if "단골" in label) == [
        "is_loyal",
        "loyal_membership_invitation",
    ]


def test_the_shipped_values_the_glossary_quotes_are_the_config_defaults():
    """`loyalty.vip_trailing_days (365)`, `clv.churn_risk.high_below_p_alive (0.3)`, a list
    `kpis.repeat_rate_windows_days (30, 60)`: a quoted setting shows its default, never stale."""
    text = (REPO_ROOT / "activation" / "glossary.yaml").read_text(encoding="utf-8")
    quoted = set(re.findall(r"\b(\w+(?:\.\w+)+) \(([\d.]+(?:, [\d.]+)*)\)", text))
    defaults = DangolConfig(identity={"customer_key_salt": "any-brand-salt"})

    assert quoted
    for key, value in quoted:
        setting = defaults
        for part in key.split("."):
            setting = getattr(setting, part)
        shipped = setting if isinstance(setting, list) else [setting]
        assert [float(v) for v in shipped] == [float(v) for v in value.split(", ")], key

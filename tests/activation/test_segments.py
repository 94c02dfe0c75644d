"""The segment filter language: what a marketer writes becomes conditions dbt renders."""

import json
from dataclasses import dataclass

from activation.segments import (
    CATALOGUE,
    PLAYBOOK,
    compile_filter,
    segment_dbt_vars,
    segment_rules,
)
from orchestration.config import DEFAULT_CONFIG, load_config
from orchestration.manifest import DBT_PROJECT_DIR


def test_values_lists_and_ranges_become_typed_conditions():
    blocks, problems = compile_filter(
        [
            {
                "rfm_segment": ["At Risk", "Can't Lose Them"],
                "is_lapsed": True,
                "days_since_first_order": {"between": [14, 60]},
                "frequency": {"at_least": 2},
            }
        ],
        "segments[0].where",
    )

    assert problems == []
    assert [(c["column"], c["mart"], c["operator"], c["values"]) for c in blocks[0]] == [
        ("rfm_segment", "customer_rfm", "in", ["At Risk", "Can't Lose Them"]),
        ("is_lapsed", "customer_ltv", "in", [True]),
        ("days_since_first_order", "customer_ltv", "between", [14, 60]),
        ("frequency", "customer_rfm", "at_least", [2]),
    ]


def test_a_number_is_not_a_boolean_and_text_is_not_a_number():
    _, problems = compile_filter([{"is_top_decile": 1, "frequency": "3"}], "p")

    assert problems == [
        "p.is_top_decile: expects true or false, got 1",
        "p.frequency: expects a number, got '3'",
    ]


def test_every_enabled_segment_runs_and_segment_members_reads_every_mart_a_filter_may():
    rules, _ = load_config(DEFAULT_CONFIG).segment_rules()

    dbt_vars = segment_dbt_vars(rules)

    assert [s["name"] for s in dbt_vars["segments"]] == [r.name for r in rules]
    assert len(rules) == len(PLAYBOOK) + 1
    # The run reads the marts the parsed lineage (Dagster's graph) names, no more, no fewer.
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8"))
    parents = manifest["nodes"]["model.dangol.segment_members"]["depends_on"]["nodes"]
    readable = {parent.split(".")[-1] for parent in parents} - {"dim_customers"}
    assert readable == set(dbt_vars["segment_marts"])
    assert set(dbt_vars["segment_marts"]) == {column.mart for column in CATALOGUE.values()}


@dataclass
class Toggle:
    enabled: bool = True
    channel: str | None = None
    night_sending: bool = False


@dataclass
class Segment:
    name: str
    channel: str
    where: dict | None = None
    any_of: list[dict] | None = None
    description: str = "d"
    night_sending: bool = False


def test_the_playbook_comes_first_and_each_can_be_switched_off_or_moved():
    toggles = {
        "vip_top_decile": Toggle(enabled=False),
        "advocates": Toggle(channel="sms", night_sending=True),
    }
    own = Segment("night_owls", "kakao", any_of=[{"is_lapsed": True}], night_sending=True)

    rules, problems = segment_rules(toggles, [own], "predicted_clv")

    assert problems == []
    assert [r.name for r in rules] == [p.name for p in PLAYBOOK[1:]] + ["night_owls"]
    advocates = next(r for r in rules if r.name == "advocates")
    assert (advocates.channel, advocates.night_sending) == ("sms", True)
    # night_sending travels to dbt with the segment: segment_audience applies it.
    assert rules[-1].dbt_var()["night_sending"] is True
    assert rules[-1].dbt_var()["blocks"][0][0]["column"] == "is_lapsed"


def test_a_filter_problem_names_its_key_path():
    _, problems = segment_rules(
        {}, [Segment("s", "email", where={"shoe_size": 42})], "predicted_clv"
    )

    assert problems[0].startswith("segments[0].where.shoe_size: unknown column")


def test_the_definition_hash_changes_with_the_audience_not_the_wording():
    rules, _ = load_config(DEFAULT_CONFIG).segment_rules()
    again, _ = load_config(DEFAULT_CONFIG).segment_rules()

    assert [r.definition_hash for r in rules] == [r.definition_hash for r in again]
    assert len({r.definition_hash for r in rules}) == len(rules) - 1  # two share one filter


def test_vip_is_the_trailing_revenue_vip_or_the_top_predicted_value_decile_never_lapsed():
    by_basis = {
        basis: next(r for r in segment_rules({}, [], basis)[0] if r.name == "vip_top_decile")
        for basis in ("predicted_clv", "trailing_revenue")
    }

    predicted = {f["column"]: f["values"] for f in by_basis["predicted_clv"].blocks[0]}
    assert predicted == {"predicted_clv_decile": [10], "is_lapsed": [False]}
    assert [f["column"] for f in by_basis["trailing_revenue"].blocks[0]] == ["is_vip"]
    assert by_basis["predicted_clv"].definition_hash != by_basis["trailing_revenue"].definition_hash


def test_predicted_columns_filter_by_value_risk_and_expected_day():
    blocks, problems = compile_filter(
        [
            {
                "churn_risk": ["high"],
                "p_alive": {"at_most": 0.4},
                "expected_next_order_date": {"between": ["2026-12-01", "2026-12-31"]},
            }
        ],
        "p",
    )
    _, wrong = compile_filter(
        [{"churn_risk": "very high", "expected_next_order_date": {"at_least": "next week"}}], "p"
    )

    assert problems == []
    assert {c["mart"] for c in blocks[0]} == {"customer_clv"}
    assert blocks[0][2]["kind"] == "date"
    assert wrong == [
        "p.churn_risk: unknown value 'very high'; known: low, medium, high",
        "p.expected_next_order_date: expects a day as YYYY-MM-DD, got 'next week'",
    ]

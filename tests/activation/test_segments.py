"""The segment filter language: what a marketer writes becomes conditions dbt renders."""

from activation.segments import PLAYBOOK, compile_filter, segment_dbt_vars
from orchestration.config import DEFAULT_CONFIG, load_config


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


def test_segments_on_marts_not_built_yet_wait_with_a_warning_and_run_once_built():
    rules, _ = load_config(DEFAULT_CONFIG).segment_rules()
    base = {"customer_rfm", "customer_ltv", "revenue_concentration", "dim_customers"}

    today, waiting = segment_dbt_vars(rules, base)
    merged, none_waiting = segment_dbt_vars(rules, base | {"customer_loyalty"})

    running = {segment["name"] for segment in today["segments"]}
    assert running == {
        "vip_top_decile",
        "high_value_win_back",
        "first_purchase_membership_invitation",
        "at_risk_win_back_email",
    }
    assert len(waiting) == 3 and all("customer_loyalty" in w for w in waiting)
    assert "customer_loyalty" not in today["segment_marts"]
    assert len(merged["segments"]) == len(PLAYBOOK) + 1 and none_waiting == []
    assert "customer_loyalty" in merged["segment_marts"]


def test_the_definition_hash_changes_with_the_audience_not_the_wording():
    rules, _ = load_config(DEFAULT_CONFIG).segment_rules()
    again, _ = load_config(DEFAULT_CONFIG).segment_rules()

    assert [r.definition_hash for r in rules] == [r.definition_hash for r in again]
    assert len({r.definition_hash for r in rules}) == len(rules) - 1  # two share one filter

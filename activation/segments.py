"""Segment audiences as data: the columns a marketer may filter on, and the loyalty playbook.

A segment's `where:` is a small filter language over customer mart columns, never SQL:

    where: {rfm_segment: [At Risk, "Can't Lose Them"], is_lapsed: true,
            days_since_first_order: {between: [14, 60]}}

A value is an equality (`true`, `42`, `Champions`), a list (any of these values), or a range
(`{between: [lo, hi]}`, `{at_least: n}`, `{at_most: n}`, on numbers or, as YYYY-MM-DD, days).
All conditions must hold; `any_of:` takes a list of such blocks of which one must hold.
Filters are checked here against the catalogue and handed to dbt as vars, where
`segment_members` renders them with quoted literals and `segment_audience` applies each
segment's consent rules (night_sending).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, Protocol

from activation.glossary import segment_description, term
from data_quality.reference import RFM_SEGMENTS

CHANNELS = ("email", "sms", "kakao")
# What a customer did with the latest campaign message (customer_campaign_engagement).
RESPONSES = tuple(v.name for v in term("last_campaign_response").values)
RANGE_OPERATORS = ("between", "at_least", "at_most")


@dataclass(frozen=True)
class Column:
    mart: str
    kind: str  # "text", "number", "boolean" or "date" (an ISO day, YYYY-MM-DD)
    values: tuple[str, ...] | None = None  # the only values a categorical text column takes


CATALOGUE: dict[str, Column] = {
    "rfm_segment": Column("customer_rfm", "text", tuple(RFM_SEGMENTS)),
    "recency_days": Column("customer_rfm", "number"),
    "frequency": Column("customer_rfm", "number"),
    "monetary": Column("customer_rfm", "number"),
    "r_score": Column("customer_rfm", "number"),
    "f_score": Column("customer_rfm", "number"),
    "m_score": Column("customer_rfm", "number"),
    "orders_count": Column("customer_ltv", "number"),
    "purchase_days": Column("customer_ltv", "number"),
    "net_lifetime_value": Column("customer_ltv", "number"),
    "trailing_net_revenue": Column("customer_ltv", "number"),
    "average_days_between_orders": Column("customer_ltv", "number"),
    "days_since_first_order": Column("customer_ltv", "number"),
    "days_since_last_order": Column("customer_ltv", "number"),
    "lifecycle_status": Column(
        "customer_ltv", "text", tuple(v.name for v in term("lifecycle_status").values)
    ),
    "is_lapsed": Column("customer_ltv", "boolean"),
    "is_top_decile": Column("revenue_concentration", "boolean"),
    "customer_rank": Column("revenue_concentration", "number"),
    "is_repeat_buyer": Column("customer_loyalty", "boolean"),
    "is_loyal": Column("customer_loyalty", "boolean"),
    "is_discount_driven": Column("customer_loyalty", "boolean"),
    "is_advocate": Column("customer_loyalty", "boolean"),
    "is_vip": Column("customer_loyalty", "boolean"),
    "loyalty_tier": Column("customer_loyalty", "text"),
    "membership_status": Column(
        "customer_loyalty", "text", ("member", "former_member", "never_member")
    ),
    "is_member": Column("customer_loyalty", "boolean"),
    "referrals_made": Column("customer_loyalty", "number"),
    "reviews_written": Column("customer_loyalty", "number"),
    "campaigns_received": Column("customer_campaign_engagement", "number"),
    "campaigns_clicked": Column("customer_campaign_engagement", "number"),
    "campaigns_converted": Column("customer_campaign_engagement", "number"),
    "days_since_last_campaign": Column("customer_campaign_engagement", "number"),
    "last_campaign_response": Column(
        "customer_campaign_engagement",
        "text",
        RESPONSES,
    ),
    "flywheel_stage": Column(
        "flywheel_stages", "text", ("activation", "adoption", "retention", "advocacy")
    ),
    "started_with_experience_product": Column("customer_first_purchases", "boolean"),
    # Predicted by customer_value/ (empty in a release without a prediction: nobody matches).
    "p_alive": Column("customer_clv", "number"),
    "churn_risk": Column("customer_clv", "text", tuple(v.name for v in term("churn_risk").values)),
    "predicted_clv_365d": Column("customer_clv", "number"),
    "predicted_clv_decile": Column("customer_clv", "number"),
    "expected_next_order_date": Column("customer_clv", "date"),
}
# Marts written by Python after the first dbt step, not dbt models: segment_members reads them
# as dbt sources (dbt_project/models/marts/_customer_value__sources.yml).
PYTHON_MARTS = ("customer_clv",)
# Every mart a filter may read. segment_members joins them all, used or not, so its run-time
# dependencies are the parsed lineage Dagster orders assets by (dbt_project.yml's default
# `segment_marts` names the same marts; tests/activation/test_segments.py holds them equal).
SEGMENT_MARTS = tuple(sorted({column.mart for column in CATALOGUE.values()}))


@dataclass(frozen=True)
class PlaybookSegment:
    name: str
    description: str
    channel: str
    any_of: tuple[dict, ...]


# VIP (clv.vip_basis): customer_loyalty.is_vip, the top share by trailing net revenue among
# customers who are not lapsed, or the top decile of predicted next-year value; either way
# never a lapsed customer.
VIP_FILTERS: dict[str, tuple[dict, ...]] = {
    "trailing_revenue": ({"is_vip": True},),
    "predicted_clv": ({"predicted_clv_decile": 10, "is_lapsed": False},),
}

# The loyalty playbook (README, "Segment lists"): on by default; dangol.yaml switches each off.
# Descriptions are the glossary's (activation/glossary.yaml), so lists and report say the same.
PLAYBOOK: tuple[PlaybookSegment, ...] = tuple(
    PlaybookSegment(name, segment_description(name), channel, any_of)
    for name, channel, any_of in (
        # clv.vip_basis picks the filter (VIP_FILTERS), see segment_rules.
        ("vip_top_decile", "kakao", VIP_FILTERS["trailing_revenue"]),
        ("high_value_win_back", "email", ({"rfm_segment": ["At Risk", "Can't Lose Them"]},)),
        ("loyal_membership_invitation", "kakao", ({"is_loyal": True, "is_member": False},)),
        (
            "first_purchase_membership_invitation",
            "sms",
            (
                {
                    "purchase_days": 1,
                    "days_since_first_order": {"between": [14, 60]},
                    "is_member": False,
                    "started_with_experience_product": True,
                },
            ),
        ),
        ("advocates", "email", ({"is_advocate": True},)),
        ("lapsed_members", "kakao", ({"is_member": True, "is_lapsed": True},)),
        (
            "high_value_churn_risk",
            "kakao",
            ({"predicted_clv_decile": {"at_least": 8}, "churn_risk": ["medium", "high"]},),
        ),
    )
)


def _value_problem(column: str, spec: Column, value: object) -> str | None:
    """Why one filter value does not fit its column, or None when it does."""
    if spec.kind == "boolean":
        return None if isinstance(value, bool) else f"expects true or false, got {value!r}"
    if spec.kind == "number":
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return None if numeric else f"expects a number, got {value!r}"
    if spec.kind == "date":
        try:
            dt.date.fromisoformat(value if isinstance(value, str) else "")
        except ValueError:
            return f"expects a day as YYYY-MM-DD, got {value!r}"
        return None
    if not isinstance(value, str):
        return f"expects text, got {value!r}"
    if spec.values is not None and value not in spec.values:
        return f"unknown value {value!r}; known: {', '.join(spec.values)}"
    return None


def _condition(column: str, value: object) -> tuple[dict, list[str]]:
    """One `column: value` entry as a normalised condition, with any problems found."""
    spec = CATALOGUE[column]
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in RANGE_OPERATORS:
            return {}, [f"a range is one of {{{', '.join(RANGE_OPERATORS)}: ...}}, got {value}"]
        ((operator, bound),) = value.items()
        if spec.kind not in ("number", "date"):
            return {}, [f"{operator} needs a number column (or a date); {column} is {spec.kind}"]
        bounds = bound if operator == "between" else [bound]
        if operator == "between" and (not isinstance(bound, list) or len(bound) != 2):
            return {}, [f"between takes [low, high], got {bound!r}"]
        problems = [p for b in bounds if (p := _value_problem(column, spec, b))]
        if not problems and operator == "between" and bounds[0] > bounds[1]:
            problems.append(f"between [{bounds[0]}, {bounds[1]}]: low is above high")
        return {"operator": operator, "values": bounds}, problems
    values = value if isinstance(value, list) else [value]
    if not values:
        return {}, ["an empty list matches nobody"]
    problems = [p for v in values if (p := _value_problem(column, spec, v))]
    return {"operator": "in", "values": values}, problems


def compile_filter(any_of: list[dict], path: str) -> tuple[list[list[dict]], list[str]]:
    """Blocks of conditions for dbt (one block must hold, each condition in it), and problems.

    Each problem names its key path, e.g. `segments[2].where.loyalty_tier: unknown value`.
    """
    blocks, problems = [], []
    for index, block in enumerate(any_of):
        block_path = path if len(any_of) == 1 else f"{path}[{index}]"
        if not isinstance(block, dict) or not block:
            problems.append(f"{block_path}: expects at least one `column: value` condition")
            continue
        conditions = []
        for column, value in block.items():
            if column not in CATALOGUE:
                problems.append(
                    f"{block_path}.{column}: unknown column; known: {', '.join(sorted(CATALOGUE))}"
                )
                continue
            condition, found = _condition(column, value)
            problems += [f"{block_path}.{column}: {p}" for p in found]
            spec = CATALOGUE[column]
            conditions.append({"column": column, "mart": spec.mart, "kind": spec.kind, **condition})
        blocks.append(conditions)
    return blocks, problems


@dataclass(frozen=True)
class SegmentRule:
    """A validated segment, ready for dbt: who is in it is decided in segment_members."""

    name: str
    description: str
    channel: str
    night_sending: bool
    blocks: tuple[tuple[dict, ...], ...]

    @property
    def definition_hash(self) -> str:
        """Changes whenever who may be in the segment could change."""
        definition = [self.channel, self.night_sending, [list(b) for b in self.blocks]]
        return sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()

    def dbt_var(self) -> dict:
        return {
            "name": self.name,
            "channel": self.channel,
            "night_sending": self.night_sending,
            "blocks": [list(b) for b in self.blocks],
        }


class SegmentSpec(Protocol):
    """A brand's own segment as dangol.yaml states it (orchestration/config.py checks its shape)."""

    name: str
    description: str
    channel: str
    where: dict[str, Any] | None
    any_of: list[dict[str, Any]] | None
    night_sending: bool


class PlaybookToggle(Protocol):
    """dangol.yaml's `segment_playbook.<name>`: off, or on another channel."""

    enabled: bool
    channel: str | None
    night_sending: bool


def segment_rules(
    playbook_toggles: Mapping[str, PlaybookToggle],
    segments: Sequence[SegmentSpec],
    vip_basis: str,
) -> tuple[list[SegmentRule], list[str]]:
    """Every enabled segment, playbook first, with the key path of each filter problem."""
    rules, problems = [], []
    for playbook in PLAYBOOK:
        toggle = playbook_toggles.get(playbook.name)
        any_of = VIP_FILTERS[vip_basis] if playbook.name == "vip_top_decile" else playbook.any_of
        blocks, found = compile_filter(list(any_of), f"segment_playbook.{playbook.name}")
        problems += found
        if toggle is None or toggle.enabled:
            rules.append(
                SegmentRule(
                    name=playbook.name,
                    description=playbook.description,
                    channel=(toggle and toggle.channel) or playbook.channel,
                    night_sending=bool(toggle and toggle.night_sending),
                    blocks=tuple(tuple(b) for b in blocks),
                )
            )
    for index, segment in enumerate(segments):
        path = f"segments[{index}]." + ("where" if segment.where is not None else "any_of")
        blocks, found = compile_filter(segment.any_of or [segment.where], path)
        problems += found
        rules.append(
            SegmentRule(
                name=segment.name,
                description=segment.description,
                channel=segment.channel,
                night_sending=segment.night_sending,
                blocks=tuple(tuple(b) for b in blocks),
            )
        )
    return rules, problems


def segment_dbt_vars(rules: list[SegmentRule]) -> dict:
    """The `segments`, `segment_marts` and `segment_source_marts` vars for dbt."""
    return {
        "segments": [rule.dbt_var() for rule in rules],
        "segment_marts": list(SEGMENT_MARTS),
        "segment_source_marts": list(PYTHON_MARTS),
    }

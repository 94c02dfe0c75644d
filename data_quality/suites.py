"""What a build's marts must satisfy before BI tools may see them.

Each expectation carries a severity in its meta: "error" blocks publication, "warn" reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations.expectations as gxe

ERROR, WARN = "error", "warn"
RFM_SEGMENTS = [
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]
ORDER_STATUSES = ["paid", "partially_refunded", "refunded", "cancelled", "pending"]


@dataclass(frozen=True)
class BuildFacts:
    """Figures measured on the build itself, for expectations that compare tables."""

    orders_net_revenue: float


def _severity(level: str) -> dict:
    return {"severity": level}


def marts_suites(facts: BuildFacts) -> dict[str, list[gxe.Expectation]]:
    """Table (schema.name) -> its expectations."""
    return {
        "marts.fct_orders": [
            gxe.ExpectColumnValuesToNotBeNull(column="order_id", meta=_severity(ERROR)),
            gxe.ExpectColumnValuesToBeUnique(column="order_id", meta=_severity(ERROR)),
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id", meta=_severity(ERROR)),
            gxe.ExpectColumnValuesToNotBeNull(column="ordered_at", meta=_severity(ERROR)),
            gxe.ExpectColumnValuesToBeInSet(
                column="status", value_set=ORDER_STATUSES, meta=_severity(ERROR)
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="currency", regex=r"^[A-Z]{3}$", meta=_severity(ERROR)
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="net_amount", min_value=0, meta=_severity(ERROR)
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="gross_amount",
                column_B="net_amount",
                or_equal=True,
                meta=_severity(ERROR),
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="items_count", min_value=0, meta=_severity(ERROR)
            ),
        ],
        "marts.dim_customers": [
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id", meta=_severity(ERROR)),
            gxe.ExpectColumnValuesToBeUnique(column="customer_id", meta=_severity(ERROR)),
            gxe.ExpectColumnValuesToBeBetween(
                column="orders_count", min_value=0, meta=_severity(ERROR)
            ),
            # Conservation: every won of net revenue in the facts reaches a customer.
            gxe.ExpectColumnSumToBeBetween(
                column="net_revenue",
                min_value=facts.orders_net_revenue - 0.005,
                max_value=facts.orders_net_revenue + 0.005,
                meta=_severity(ERROR),
            ),
        ],
        "marts.customer_rfm": [
            gxe.ExpectColumnValuesToBeUnique(column="customer_id", meta=_severity(ERROR)),
            *(
                gxe.ExpectColumnValuesToBeBetween(
                    column=score, min_value=1, max_value=5, meta=_severity(ERROR)
                )
                for score in ("r_score", "f_score", "m_score")
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="frequency", min_value=1, meta=_severity(ERROR)
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="rfm_segment", value_set=RFM_SEGMENTS, meta=_severity(ERROR)
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="rfm_segment", meta=_severity(ERROR)),
        ],
        "marts.segment_members": [
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id", meta=_severity(ERROR)),
            gxe.ExpectColumnValuesToBeInSet(
                column="channel", value_set=["email", "sms", "kakao"], meta=_severity(ERROR)
            ),
        ],
    }

"""What a build must satisfy before BI tools may see it, as great-expectations suites in code.

An audit target is one batch (a SQL query over the build warehouse, which has the last
published release attached as `published`) and the expectations on it. Each expectation
carries a severity in its meta: "error" blocks publication, "warn" reports and lets it pass.
Queries read only the columns they check, so raw tables of any size stay cheap to audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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
# A few minutes of clock skew between the shop and this machine is not a future order.
FUTURE_TOLERANCE_MINUTES = 24 * 60


@dataclass(frozen=True)
class Threshold:
    limit: float
    severity: str


@dataclass(frozen=True)
class QualityThresholds:
    """Limits a brand tunes in dangol.yaml (quality:); the config schema has the defaults."""

    max_order_amount: float
    max_line_quantity: int
    max_days_since_last_order: Threshold
    max_order_count_drop_pct: Threshold
    max_net_revenue_swing_pct: Threshold
    max_segment_share_jump_pct_points: Threshold
    # Not a quality limit: the RFM scores' range (rfm.score_bins), which the audit checks.
    rfm_score_bins: int

    def accepting_anomalies(self) -> QualityThresholds:
        """For one run whose big change is expected (a new shop, a backfill): report only."""
        return replace(
            self,
            **{name: replace(getattr(self, name), severity=WARN) for name in ANOMALY_THRESHOLDS},
        )


ANOMALY_THRESHOLDS = (
    "max_order_count_drop_pct",
    "max_net_revenue_swing_pct",
    "max_segment_share_jump_pct_points",
)


@dataclass(frozen=True)
class AuditTarget:
    asset: tuple[str, str]  # (schema, table) of the asset the check reports on
    check_name: str
    query: str
    expectations: list[gxe.Expectation] = field(default_factory=list)
    needs_previous_release: bool = False

    @property
    def name(self) -> str:
        return f"{'.'.join(self.asset)}.{self.check_name}"


def _meta(severity: str) -> dict:
    return {"severity": severity}


def _ledger_conservation(raw_table: str) -> AuditTarget:
    # Every row the ledger says was loaded from a file is in the raw table, and no more.
    return AuditTarget(
        asset=("raw", raw_table),
        check_name="rows_match_ingest_ledger",
        query=f"""
            select ledger.file_name, ledger.rows_loaded, count(loaded._file_sha256) as rows_in_table
            from raw.ingest_files as ledger
            left join raw.{raw_table} as loaded on loaded._file_sha256 = ledger.file_sha256
            where ledger.raw_table = '{raw_table}'
            group by ledger.file_name, ledger.rows_loaded
        """,
        expectations=[
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="rows_loaded", column_B="rows_in_table", meta=_meta(ERROR)
            ),
        ],
    )


def audit_targets(t: QualityThresholds, raw_tables: list[str]) -> list[AuditTarget]:
    suite = "great_expectations_suite"
    return [
        *(_ledger_conservation(table) for table in raw_tables),
        AuditTarget(
            asset=("staging", "stg_shopify__orders"),
            check_name=suite,
            query="""
                select order_id, subtotal_amount, discount_amount, refund_amount,
                    date_diff('minute', now(), ordered_at) as minutes_in_future
                from staging.stg_shopify__orders
            """,
            expectations=[
                gxe.ExpectColumnValuesToNotBeNull(column="order_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToNotBeNull(column="minutes_in_future", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToBeBetween(
                    column="minutes_in_future",
                    max_value=FUTURE_TOLERANCE_MINUTES,
                    meta=_meta(ERROR),
                ),
                *(
                    gxe.ExpectColumnValuesToBeBetween(
                        column=amount, min_value=0, max_value=t.max_order_amount, meta=_meta(ERROR)
                    )
                    for amount in ("subtotal_amount", "discount_amount", "refund_amount")
                ),
            ],
        ),
        AuditTarget(
            asset=("staging", "stg_shopify__order_lines"),
            check_name=suite,
            query="select quantity, unit_price from staging.stg_shopify__order_lines",
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="quantity", min_value=1, max_value=t.max_line_quantity, meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="unit_price",
                    min_value=0,
                    max_value=t.max_order_amount,
                    meta=_meta(ERROR),
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_orders"),
            check_name=suite,
            query="""
                select order_id, customer_id, status, currency, gross_amount, net_amount,
                    items_count, date_diff('minute', now(), ordered_at) as minutes_in_future
                from marts.fct_orders
            """,
            expectations=[
                gxe.ExpectColumnValuesToNotBeNull(column="order_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToBeUnique(column="order_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToNotBeNull(column="customer_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToBeInSet(
                    column="status", value_set=ORDER_STATUSES, meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToMatchRegex(
                    column="currency", regex=r"^[A-Z]{3}$", meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="net_amount", min_value=0, meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="gross_amount",
                    min_value=0,
                    max_value=t.max_order_amount,
                    meta=_meta(ERROR),
                ),
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="gross_amount",
                    column_B="net_amount",
                    or_equal=True,
                    meta=_meta(ERROR),
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="items_count", min_value=0, meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="minutes_in_future",
                    max_value=FUTURE_TOLERANCE_MINUTES,
                    meta=_meta(ERROR),
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_orders"),
            check_name="freshness",
            query="""
                select coalesce(date_diff('day', max(ordered_at), now()), 0)
                    as days_since_last_order
                from marts.fct_orders
            """,
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="days_since_last_order",
                    max_value=t.max_days_since_last_order.limit,
                    meta=_meta(t.max_days_since_last_order.severity),
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_orders"),
            check_name="anomalies_vs_last_release",
            needs_previous_release=True,
            query="""
                with
                build_orders as (
                    select count(*) as orders, sum(net_amount) as revenue from marts.fct_orders
                ),
                published_orders as (
                    select count(*) as orders, sum(net_amount) as revenue
                    from published.marts.fct_orders
                ),
                build_shares as (
                    select rfm_segment, count(*) / sum(count(*)) over () as share
                    from marts.customer_rfm group by rfm_segment
                ),
                published_shares as (
                    select rfm_segment, count(*) / sum(count(*)) over () as share
                    from published.marts.customer_rfm group by rfm_segment
                )
                select
                    coalesce(100.0 * (p.orders - b.orders) / nullif(p.orders, 0), 0)
                        as order_count_drop_pct,
                    coalesce(100.0 * abs(b.revenue - p.revenue) / nullif(p.revenue, 0), 0)
                        as net_revenue_swing_pct,
                    (
                        select coalesce(max(abs(coalesce(bs.share, 0) - coalesce(ps.share, 0))), 0)
                        from build_shares as bs
                        full join published_shares as ps on bs.rfm_segment = ps.rfm_segment
                    ) * 100 as segment_share_jump_pct_points
                from build_orders as b, published_orders as p
            """,
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column=column, max_value=threshold.limit, meta=_meta(threshold.severity)
                )
                for column, threshold in (
                    ("order_count_drop_pct", t.max_order_count_drop_pct),
                    ("net_revenue_swing_pct", t.max_net_revenue_swing_pct),
                    ("segment_share_jump_pct_points", t.max_segment_share_jump_pct_points),
                )
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_order_lines"),
            check_name=suite,
            query="""
                -- One row per order (lines or not), so an order without its lines fails too.
                select orders.order_id, orders.net_amount as order_net_amount,
                    coalesce(lines.lines_net_amount, 0) as lines_net_amount,
                    coalesce(lines.min_line_net_amount, 0) as min_line_net_amount,
                    coalesce(lines.max_line_quantity, 1) as max_line_quantity
                from marts.fct_orders as orders
                left join (
                    select order_id, sum(net_amount) as lines_net_amount,
                        min(net_amount) as min_line_net_amount, max(quantity) as max_line_quantity
                    from marts.fct_order_lines group by order_id
                ) as lines on lines.order_id = orders.order_id
            """,
            expectations=[
                # Conservation: an order's lines share out exactly its net revenue.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="order_net_amount", column_B="lines_net_amount", meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="min_line_net_amount", min_value=0, meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="max_line_quantity",
                    min_value=0,
                    max_value=t.max_line_quantity,
                    meta=_meta(ERROR),
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_channel_daily"),
            check_name=suite,
            query="""
                select
                    (select count(*) from marts.fct_orders where is_purchase) as purchases,
                    coalesce(sum(channels.orders_count), 0) as attributed_purchases,
                    (select coalesce(sum(net_amount), 0) from marts.fct_orders)
                        as orders_net_revenue,
                    coalesce(sum(channels.net_revenue), 0) as attributed_net_revenue
                from marts.fct_channel_daily as channels
            """,
            expectations=[
                # Conservation: every purchase and every won lands on one channel and day.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="purchases", column_B="attributed_purchases", meta=_meta(ERROR)
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="orders_net_revenue",
                    column_B="attributed_net_revenue",
                    meta=_meta(ERROR),
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "dim_customers"),
            check_name=suite,
            query="""
                select customer_id, orders_count, net_revenue,
                    (select sum(net_amount) from marts.fct_orders) as orders_net_revenue,
                    sum(net_revenue) over () as customers_net_revenue
                from marts.dim_customers
            """,
            expectations=[
                gxe.ExpectColumnValuesToNotBeNull(column="customer_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToBeUnique(column="customer_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToBeBetween(
                    column="orders_count", min_value=0, meta=_meta(ERROR)
                ),
                # Conservation: every won of net revenue in the facts reaches a customer.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="orders_net_revenue",
                    column_B="customers_net_revenue",
                    meta=_meta(ERROR),
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "customer_rfm"),
            check_name=suite,
            query="""
                select customer_id, frequency, r_score, f_score, m_score, rfm_segment,
                    (select count(*) from marts.dim_customers where orders_count > 0) as buyers,
                    count(*) over () as scored_customers
                from marts.customer_rfm
            """,
            expectations=[
                gxe.ExpectColumnValuesToBeUnique(column="customer_id", meta=_meta(ERROR)),
                *(
                    gxe.ExpectColumnValuesToBeBetween(
                        column=score, min_value=1, max_value=t.rfm_score_bins, meta=_meta(ERROR)
                    )
                    for score in ("r_score", "f_score", "m_score")
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="frequency", min_value=1, meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToBeInSet(
                    column="rfm_segment", value_set=RFM_SEGMENTS, meta=_meta(ERROR)
                ),
                gxe.ExpectColumnValuesToNotBeNull(column="rfm_segment", meta=_meta(ERROR)),
                # Every customer who bought is scored, none twice, none invented.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="buyers", column_B="scored_customers", meta=_meta(ERROR)
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "customer_ltv"),
            check_name=suite,
            query="""
                -- The left join keeps a row when the mart is empty, so a lost table fails.
                select ltv.customer_id, ltv.orders_count, buyers.buyers,
                    count(ltv.customer_id) over () as valued_customers
                from (
                    select count(*) as buyers from marts.dim_customers where orders_count > 0
                ) as buyers
                left join marts.customer_ltv as ltv on true
            """,
            expectations=[
                gxe.ExpectColumnValuesToBeUnique(column="customer_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToBeBetween(
                    column="orders_count", min_value=1, meta=_meta(ERROR)
                ),
                # Every customer who bought has a lifetime value, none twice, none invented.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="buyers", column_B="valued_customers", meta=_meta(ERROR)
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "revenue_concentration_summary"),
            check_name=suite,
            query="""
                select total_net_revenue,
                    (select sum(net_lifetime_value) from marts.customer_ltv) as ltv_net_revenue,
                    top_10_pct_revenue_share, top_20_pct_revenue_share, top_30_pct_revenue_share
                from marts.revenue_concentration_summary
            """,
            expectations=[
                # Conservation: the Pareto view shares out all the customers' net revenue.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="total_net_revenue", column_B="ltv_net_revenue", meta=_meta(ERROR)
                ),
                *(
                    gxe.ExpectColumnValuesToBeBetween(
                        column=share, min_value=0, max_value=1, meta=_meta(ERROR)
                    )
                    for share in (
                        "top_10_pct_revenue_share",
                        "top_20_pct_revenue_share",
                        "top_30_pct_revenue_share",
                    )
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "cohort_retention"),
            check_name=suite,
            query="""
                select cohorts.retention_rate, buyers.buyers,
                    coalesce(sum(cohorts.cohort_size) filter (
                        where cohorts.months_since_first_purchase = 0
                    ) over (), 0) as cohort_customers
                from (select count(*) as buyers from marts.customer_ltv) as buyers
                left join marts.cohort_retention as cohorts on true
            """,
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="retention_rate", min_value=0, max_value=1, meta=_meta(ERROR)
                ),
                # Every buyer is in exactly one cohort.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="cohort_customers", column_B="buyers", meta=_meta(ERROR)
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "segment_members"),
            check_name=suite,
            query="select segment_name, channel, customer_id from marts.segment_members",
            expectations=[
                gxe.ExpectColumnValuesToNotBeNull(column="customer_id", meta=_meta(ERROR)),
                gxe.ExpectColumnValuesToBeInSet(
                    column="channel", value_set=["email", "sms", "kakao"], meta=_meta(ERROR)
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_engagement_events"),
            check_name=suite,
            query="""
                select event_id, customer_id,
                    (select count(*) from intermediate.int_engagement_events) as loaded_events,
                    count(*) over () as published_events,
                    (select count(*) from marts.fct_orders) as orders,
                    (
                        select count(*) from marts.fct_orders as orders
                        inner join intermediate.int_customer_identities as identities
                            on identities.identifier_type = 'order_id'
                            and identities.identifier_value = orders.order_id
                            and identities.customer_id = orders.customer_id
                    ) as orders_with_their_identity
                from marts.fct_engagement_events
            """,
            expectations=[
                gxe.ExpectColumnValuesToBeUnique(column="event_id", meta=_meta(ERROR)),
                # Conservation: every event loaded is published once, resolved or not.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="loaded_events", column_B="published_events", meta=_meta(ERROR)
                ),
                # Every order belongs to the one customer identity resolution gave it.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="orders", column_B="orders_with_their_identity", meta=_meta(ERROR)
                ),
            ],
        ),
        AuditTarget(
            asset=("marts", "customer_loyalty"),
            check_name=suite,
            query="""
                select loyalty.customer_id,
                    not loyalty.is_loyal or loyalty.is_repeat_buyer as loyal_buys_again,
                    (select count(*) from marts.dim_customers) as customers,
                    (select count(*) from marts.flywheel_stages) as staged_customers,
                    count(*) over () as loyalty_customers
                from marts.customer_loyalty as loyalty
            """,
            expectations=[
                gxe.ExpectColumnValuesToBeUnique(column="customer_id", meta=_meta(ERROR)),
                # A loyal customer is always a repeat buyer.
                gxe.ExpectColumnValuesToBeInSet(
                    column="loyal_buys_again", value_set=[True], meta=_meta(ERROR)
                ),
                # Every customer has one loyalty row and one flywheel stage.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="customers", column_B="loyalty_customers", meta=_meta(ERROR)
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="customers", column_B="staged_customers", meta=_meta(ERROR)
                ),
            ],
        ),
    ]

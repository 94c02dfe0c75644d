"""What a build must satisfy before BI tools may see it, as great-expectations suites in code.

An audit target is one batch (a SQL query over the build warehouse, which has the last
published release attached as `published`) and the expectations on it. Each expectation
carries a severity in its meta: "error" blocks publication, "warn" reports and lets it pass.
Queries read only the columns they check, so raw tables of any size stay cheap to audit.

Each check has one owner. dbt tests own row and schema rules: keys, not null, uniqueness,
accepted values, relationships. These suites own the rest: the ingest ledger, conservation
across marts, value ranges and the brand's limits (dangol.yaml `quality:`), freshness, and
anomalies against the last release.

Staging rows are audited by the run that parsed them (`$parsed_after_file_seq`, bound by the
gate): the rows earlier runs parsed passed this gate then, and a change of SQL or of the
settings dbt uses, which parses every file again, has them all audited again. The order facts
are audited the same way, by order: an order's row and lines are built from its latest version
alone, so those of an order whose latest version came from an earlier run's file are as that
run's gate passed them (an identity merge re-keys them, and the anomaly and conservation checks
over whole marts still see them). Checks on them that the history has not passed (changed in
this file or in dangol.yaml `quality:`) audit every order once (data_quality/gate.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

ERROR, WARN = "error", "warn"
# A few minutes of clock skew between the shop and this machine is not a future order.
FUTURE_TOLERANCE_MINUTES = 24 * 60
# How many whole minutes an order lies ahead of this machine's clock. Epoch arithmetic, not
# date_diff('minute', ...), which works through the calendar row by row: at 10M order lines
# (3.3M orders) 1.18 s against 0.09 s for each of the two suites that ask.
MINUTES_IN_FUTURE = "(epoch_ms(ordered_at) - epoch_ms(now())) // 60000"
# The orders to audit: those whose latest version came from a file after
# `$orders_audited_after_file_seq` (bound by the gate), which this run's dbt build parsed, the
# rows of the order facts it made anew. At 0 (a rebuild, or checks the history has not passed)
# that is every order, without the lookup (a second or two at 10M lines).
ORDERS_AUDITED_AFTER = "orders_audited_after_file_seq"
ORDERS_TO_AUDIT = f"""
    ${ORDERS_AUDITED_AFTER} = 0 or order_id in (
        select order_id from intermediate.int_orders_deduplicated
        where ingest_file_seq > ${ORDERS_AUDITED_AFTER}
    )
"""


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
class Expect:
    """One great-expectations expectation, by its class name in `great_expectations.expectations`
    and its arguments. The gate makes the GX object (data_quality/gate.py): a run's own process
    declares its checks without importing great-expectations (4 s of every run's start), and
    the audit runs where it is imported (orchestration/warm_gate.py)."""

    type: str  # e.g. "ExpectColumnValuesToBeBetween"
    kwargs: dict
    severity: str = ERROR


@dataclass(frozen=True)
class AuditTarget:
    asset: tuple[str, str]  # (schema, table) of the asset the check reports on
    check_name: str
    query: str
    expectations: list[Expect] = field(default_factory=list)
    needs_previous_release: bool = False
    # Text columns that never hold a person's data (the shop's order ids, the model's own
    # reasons), so their failing values may be shown as examples.
    non_personal_columns: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return f"{'.'.join(self.asset)}.{self.check_name}"


def between(
    column: str, lo: float | None = None, hi: float | None = None, severity: str = ERROR
) -> Expect:
    return Expect(
        "ExpectColumnValuesToBeBetween",
        {"column": column, "min_value": lo, "max_value": hi},
        severity,
    )


def within(column: str, threshold: Threshold) -> Expect:
    """At most the brand's limit, at the brand's severity."""
    return between(column, hi=threshold.limit, severity=threshold.severity)


def equal(column_a: str, column_b: str) -> Expect:
    return Expect("ExpectColumnPairValuesToBeEqual", {"column_A": column_a, "column_B": column_b})


def at_least(column_a: str, column_b: str) -> Expect:
    return Expect(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": column_a, "column_B": column_b, "or_equal": True},
    )


def always(column: str) -> Expect:
    """A rule the query states as a boolean column holds on every row."""
    return one_of(column, [True])


def one_of(column: str, values: list, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToBeInSet", {"column": column, "value_set": values}, severity)


def never(column: str, severity: str) -> Expect:
    """A column the query fills only where a rule is broken stays empty; what it holds names
    each row that broke it (an order id, never personal data), so the report gives examples."""
    return Expect("ExpectColumnValuesToBeNull", {"column": column}, severity)


def matches(column: str, regex: str) -> Expect:
    return Expect("ExpectColumnValuesToMatchRegex", {"column": column, "regex": regex})


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
        expectations=[equal("rows_loaded", "rows_in_table")],
    )


def audit_targets(t: QualityThresholds, raw_tables: list[str]) -> list[AuditTarget]:
    suite = "great_expectations_suite"
    return [
        *(_ledger_conservation(table) for table in raw_tables),
        AuditTarget(
            asset=("staging", "stg_shopify__orders"),
            check_name=suite,
            query=f"""
                select subtotal_amount, discount_amount, refund_amount,
                    {MINUTES_IN_FUTURE} as minutes_in_future
                from staging.stg_shopify__orders
                where ingest_file_seq > $parsed_after_file_seq
            """,
            expectations=[
                between("minutes_in_future", hi=FUTURE_TOLERANCE_MINUTES),
                *(
                    between(amount, 0, t.max_order_amount)
                    for amount in ("subtotal_amount", "discount_amount", "refund_amount")
                ),
            ],
        ),
        AuditTarget(
            asset=("staging", "stg_shopify__orders"),
            check_name="subtotal_matches_lines",
            query="""
                -- One row per order: its lines less its discounts against the export's
                -- Subtotal, in each export file that carried it.
                select max(case
                    when abs(lines.lines_amount - orders.discount_amount
                        - orders.subtotal_amount) >= 0.01
                        then orders.order_id || ' (' || orders.order_name || ')'
                end) as order_whose_subtotal_disagrees
                from staging.stg_shopify__orders as orders
                inner join (
                    select order_id, ingest_file_seq, sum(quantity * unit_price) as lines_amount
                    from staging.stg_shopify__order_lines
                    where ingest_file_seq > $parsed_after_file_seq
                    group by order_id, ingest_file_seq
                ) as lines
                    on lines.order_id = orders.order_id
                    and lines.ingest_file_seq = orders.ingest_file_seq
                where orders.ingest_file_seq > $parsed_after_file_seq
                group by orders.order_id
            """,
            # A warning: the shop's own numbers disagree (an edited order, a shipping discount
            # in the total); our revenue comes from the lines and discounts either way, and
            # blocking would hold back every list for something only the shop can explain.
            expectations=[never("order_whose_subtotal_disagrees", WARN)],
            non_personal_columns=frozenset({"order_whose_subtotal_disagrees"}),
        ),
        AuditTarget(
            asset=("staging", "stg_shopify__order_lines"),
            check_name=suite,
            query="""
                select quantity, unit_price from staging.stg_shopify__order_lines
                where ingest_file_seq > $parsed_after_file_seq
            """,
            expectations=[
                between("quantity", 1, t.max_line_quantity),
                between("unit_price", 0, t.max_order_amount),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_orders"),
            check_name=suite,
            query=f"""
                select currency, gross_amount, net_amount, items_count,
                    {MINUTES_IN_FUTURE} as minutes_in_future
                from marts.fct_orders
                where {ORDERS_TO_AUDIT}
            """,
            expectations=[
                matches("currency", r"^[A-Z]{3}$"),
                between("net_amount", lo=0),
                between("gross_amount", 0, t.max_order_amount),
                at_least("gross_amount", "net_amount"),
                between("items_count", lo=0),
                between("minutes_in_future", hi=FUTURE_TOLERANCE_MINUTES),
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
            expectations=[within("days_since_last_order", t.max_days_since_last_order)],
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
                within("order_count_drop_pct", t.max_order_count_drop_pct),
                within("net_revenue_swing_pct", t.max_net_revenue_swing_pct),
                within("segment_share_jump_pct_points", t.max_segment_share_jump_pct_points),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_order_lines"),
            check_name=suite,
            query=f"""
                -- One row per order (lines or not), so an order without its lines fails too.
                -- No order id: it is checked nowhere, and 3M ids cost seconds in pandas.
                with
                orders as (
                    select order_id, net_amount from marts.fct_orders
                    where {ORDERS_TO_AUDIT}
                ),
                lines as (
                    select order_id, sum(net_amount) as lines_net_amount,
                        min(net_amount) as min_line_net_amount, max(quantity) as max_line_quantity
                    from marts.fct_order_lines
                    where {ORDERS_TO_AUDIT}
                    group by order_id
                )
                select orders.net_amount as order_net_amount,
                    coalesce(lines.lines_net_amount, 0) as lines_net_amount,
                    coalesce(lines.min_line_net_amount, 0) as min_line_net_amount,
                    coalesce(lines.max_line_quantity, 1) as max_line_quantity
                from orders
                left join lines on lines.order_id = orders.order_id
            """,
            expectations=[
                # Conservation: an order's lines share out exactly its net revenue.
                equal("order_net_amount", "lines_net_amount"),
                between("min_line_net_amount", lo=0),
                between("max_line_quantity", 0, t.max_line_quantity),
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
                equal("purchases", "attributed_purchases"),
                equal("orders_net_revenue", "attributed_net_revenue"),
            ],
        ),
        AuditTarget(
            asset=("marts", "dim_customers"),
            check_name=suite,
            query="""
                select customers.orders_count, facts.orders_net_revenue,
                    sum(customers.net_revenue) over () as customers_net_revenue
                from (select sum(net_amount) as orders_net_revenue from marts.fct_orders) as facts
                left join marts.dim_customers as customers on true
            """,
            expectations=[
                between("orders_count", lo=0),
                # Conservation: every won of net revenue in the facts reaches a customer.
                equal("orders_net_revenue", "customers_net_revenue"),
            ],
        ),
        AuditTarget(
            asset=("marts", "customer_rfm"),
            check_name=suite,
            query="""
                select rfm.frequency, rfm.r_score, rfm.f_score, rfm.m_score, buyers.buyers,
                    count(rfm.customer_id) over () as scored_customers
                from (
                    select count(*) as buyers from marts.dim_customers where orders_count > 0
                ) as buyers
                left join marts.customer_rfm as rfm on true
            """,
            expectations=[
                *(
                    between(score, 1, t.rfm_score_bins)
                    for score in ("r_score", "f_score", "m_score")
                ),
                between("frequency", lo=1),
                # Every customer who bought is scored, none twice, none invented.
                equal("buyers", "scored_customers"),
            ],
        ),
        AuditTarget(
            asset=("marts", "customer_ltv"),
            check_name=suite,
            query="""
                -- The left join keeps a row when the mart is empty, so a lost table fails.
                select ltv.orders_count, buyers.buyers,
                    count(ltv.customer_id) over () as valued_customers
                from (
                    select count(*) as buyers from marts.dim_customers where orders_count > 0
                ) as buyers
                left join marts.customer_ltv as ltv on true
            """,
            expectations=[
                between("orders_count", lo=1),
                # Every customer who bought has a lifetime value, none twice, none invented.
                equal("buyers", "valued_customers"),
            ],
        ),
        AuditTarget(
            asset=("marts", "revenue_concentration_summary"),
            check_name=suite,
            query="""
                select summary.total_net_revenue, ltv.ltv_net_revenue,
                    summary.top_10_pct_revenue_share, summary.top_20_pct_revenue_share,
                    summary.top_30_pct_revenue_share
                from (
                    select sum(net_lifetime_value) as ltv_net_revenue from marts.customer_ltv
                ) as ltv
                left join marts.revenue_concentration_summary as summary on true
            """,
            expectations=[
                # Conservation: the Pareto view shares out all the customers' net revenue.
                equal("total_net_revenue", "ltv_net_revenue"),
                *(between(f"top_{pct}_pct_revenue_share", 0, 1) for pct in (10, 20, 30)),
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
                between("retention_rate", 0, 1),
                # Every buyer is in exactly one cohort.
                equal("cohort_customers", "buyers"),
            ],
        ),
        AuditTarget(
            asset=("marts", "fct_engagement_events"),
            check_name=suite,
            query="""
                -- One row whatever the marts hold: no events is a count of 0, checked too.
                select
                    (select count(*) from intermediate.int_engagement_events) as loaded_events,
                    (select count(*) from marts.fct_engagement_events) as published_events,
                    (select count(*) from marts.fct_orders) as orders,
                    (
                        select count(*) from marts.fct_orders as orders
                        inner join intermediate.int_customer_identities as identities
                            on identities.identifier_type = 'order_id'
                            and identities.identifier_value = orders.order_id
                            and identities.customer_id = orders.customer_id
                    ) as orders_with_their_identity
            """,
            expectations=[
                # Conservation: every event loaded is published once, resolved or not.
                equal("loaded_events", "published_events"),
                # Every order belongs to the one customer identity resolution gave it.
                equal("orders", "orders_with_their_identity"),
            ],
        ),
        AuditTarget(
            asset=("marts", "customer_loyalty"),
            check_name=suite,
            query="""
                select
                    not loyalty.is_loyal or loyalty.is_repeat_buyer as loyal_buys_again,
                    not loyalty.is_vip or not coalesce(ltv.is_lapsed, true) as vip_is_not_lapsed,
                    counts.customers, counts.staged_customers,
                    count(loyalty.customer_id) over () as loyalty_customers
                from (
                    select
                        (select count(*) from marts.dim_customers) as customers,
                        (select count(*) from marts.flywheel_stages) as staged_customers
                ) as counts
                left join marts.customer_loyalty as loyalty on true
                left join marts.customer_ltv as ltv on loyalty.customer_id = ltv.customer_id
            """,
            expectations=[
                # A loyal customer is always a repeat buyer.
                always("loyal_buys_again"),
                # VIP ranks recent revenue among customers who still buy: never a lapsed one.
                always("vip_is_not_lapsed"),
                # Every customer has one loyalty row and one flywheel stage.
                equal("customers", "loyalty_customers"),
                equal("customers", "staged_customers"),
            ],
        ),
        *_clv_targets(),
    ]


def _clv_targets() -> list[AuditTarget]:
    """The predicted-value marts (customer_value/): a prediction is a probability, a count and
    money that make sense, for every buyer once; no prediction is a warning naming why."""
    suite = "great_expectations_suite"
    return [
        AuditTarget(
            asset=("marts", "customer_clv"),
            check_name=suite,
            query="""
                -- The left join keeps a row when the mart is empty, so a lost prediction fails.
                select clv.p_alive, clv.expected_purchases_90d, clv.expected_purchases_365d,
                    clv.expected_average_order_value, clv.predicted_clv_365d,
                    clv.predicted_clv_decile,
                    clv.expected_purchases_365d >= clv.expected_purchases_90d as grows_with_time,
                    not status.predicted or (
                        (select count(*) from marts.customer_clv)
                        = (select count(distinct customer_id) from marts.customer_clv)
                        and (select count(*) from marts.customer_clv)
                        = (select count(*) from marts.customer_purchase_summary)
                    ) as every_buyer_scored_once
                from marts.clv_model_status as status
                left join marts.customer_clv as clv on true
            """,
            expectations=[
                between("p_alive", 0, 1),
                *(
                    between(column, lo=0)
                    for column in (
                        "expected_purchases_90d",
                        "expected_purchases_365d",
                        "expected_average_order_value",
                        "predicted_clv_365d",
                    )
                ),
                between("predicted_clv_decile", 1, 10),
                always("grows_with_time"),
                # One row per buyer, none invented, whenever there is a prediction.
                always("every_buyer_scored_once"),
            ],
        ),
        AuditTarget(
            asset=("marts", "clv_model_fit"),
            check_name="model_fitted",
            query="""
                select coalesce(reason, 'fitted') as clv_prediction,
                    coalesce(backtest_reason, 'backtested') as clv_backtest
                from marts.clv_model_status
            """,
            expectations=[
                one_of("clv_prediction", ["fitted"], WARN),
                one_of("clv_backtest", ["backtested"], WARN),
            ],
            non_personal_columns=frozenset({"clv_prediction", "clv_backtest"}),
        ),
    ]

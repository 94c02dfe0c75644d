"""What the marketer's report reads from the published marts: one query per panel, each row a
named record (never a tuple read by position)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TypeVar

import duckdb

# The funnel panel shows the recent window a marketer acts on, not all history.
FUNNEL_DAYS = 30
# Cohort retention: the newest this many first-purchase months, this many months on.
COHORT_MONTHS = 12

Row = TypeVar("Row")


def _records(con: duckdb.DuckDBPyConnection, sql: str, record: type[Row]) -> list[Row]:
    """The query's rows as `record`s, matched by column name."""
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    expected = [f.name for f in fields(record)]
    if sorted(names) != sorted(expected):
        raise ValueError(f"{record.__name__} expects columns {expected}, the query gave {names}")
    return [record(**dict(zip(names, values, strict=True))) for values in cursor.fetchall()]


@dataclass(frozen=True)
class RfmCell:
    r_score: int
    fm_score: int
    customers: int


@dataclass(frozen=True)
class ParetoPoint:
    customer_share: float
    revenue_share: float

    def __post_init__(self):
        object.__setattr__(self, "customer_share", float(self.customer_share))
        object.__setattr__(self, "revenue_share", float(self.revenue_share))


@dataclass(frozen=True)
class CohortCell:
    cohort_month: dt.date
    months_since_first_purchase: int
    cohort_size: int
    retention_rate: Decimal | float | None


FUNNEL_MEASURES = (
    "impressions",
    "clicks",
    "sessions",
    "add_to_carts",
    "orders",
    "new_customers",
    "cost",
    "revenue",
)


@dataclass(frozen=True)
class ChannelFunnel:
    channel: str
    first_date: dt.date
    last_date: dt.date
    impressions: float
    clicks: float
    sessions: float
    add_to_carts: float
    orders: float
    new_customers: float
    cost: float
    revenue: float

    def __post_init__(self):
        # Sums over days without stats are null: nothing was counted, so zero.
        for name in FUNNEL_MEASURES:
            object.__setattr__(self, name, float(getattr(self, name) or 0))


@dataclass(frozen=True)
class FlywheelStage:
    flywheel_stage: str
    customers: int


@dataclass(frozen=True)
class LifecycleStatus:
    lifecycle_status: str
    customers: int


@dataclass(frozen=True)
class MembershipConversion:
    category: str
    category_ko: str
    first_time_buyers: int
    joined: int
    # Shares, medians and per-customer figures as the mart types them (formatted, not summed).
    join_rate: Decimal | float | None
    median_days_to_join: Decimal | float | None


@dataclass(frozen=True)
class MembershipEffect:
    horizon_days: int
    first_purchase_kind: str
    members: int
    comparable_non_members: int
    member_purchase_days: float
    non_member_purchase_days: float
    member_net_revenue: Decimal
    non_member_net_revenue: Decimal


def release_id(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select release_id from meta.release").fetchone()[0]


def rfm_cells(con: duckdb.DuckDBPyConnection) -> list[RfmCell]:
    return _records(
        con,
        """
        select r_score, fm_score, count(*) as customers
        from marts.customer_rfm
        group by r_score, fm_score
        """,
        RfmCell,
    )


# The Pareto curve is drawn through about this many customers, whatever their number.
PARETO_POINTS = 200


def pareto_points(con: duckdb.DuckDBPyConnection) -> list[ParetoPoint]:
    """The Pareto curve: every step-th customer by rank from the first, and the last, so about
    PARETO_POINTS points. Thinned here, not in Python: at 10M order lines, reading all 333k
    customers into records took 0.8 s of every run's report for a curve of 200 points."""
    return _records(
        con,
        f"""
        with customers as (
            select count(*) as customers_count from marts.revenue_concentration
        )
        select
            cumulative_customer_share as customer_share,
            cumulative_revenue_share as revenue_share
        from marts.revenue_concentration, customers
        where
            (customer_rank - 1) % greatest(1, customers_count // {PARETO_POINTS}) = 0
            or customer_rank = customers_count
        order by customer_rank
        """,
        ParetoPoint,
    )


def cohort_cells(con: duckdb.DuckDBPyConnection) -> list[CohortCell]:
    return _records(
        con,
        f"""
        select cohort_month, months_since_first_purchase, cohort_size, retention_rate
        from marts.cohort_retention
        where cohort_month in (
                select distinct cohort_month from marts.cohort_retention
                order by cohort_month desc
                limit {COHORT_MONTHS}
            )
            and months_since_first_purchase < {COHORT_MONTHS}
        """,
        CohortCell,
    )


def channel_funnels(con: duckdb.DuckDBPyConnection) -> list[ChannelFunnel]:
    """Each ad channel's funnel per currency over the last FUNNEL_DAYS days with ad stats."""
    return _records(
        con,
        f"""
        with recent as (
            select * from marts.channel_funnel_daily
            where impressions is not null and activity_date > (
                select max(activity_date) - interval {FUNNEL_DAYS} day
                from marts.channel_funnel_daily where impressions is not null
            )
        ),
        currencies as (
            select count(distinct currency) as currencies from recent
        )
        select
            -- Money is never added across currencies: a channel paid in two is two rows.
            case
                when any_value(currencies.currencies) > 1 then channel || ' (' || currency || ')'
                else channel
            end as channel,
            min(activity_date) as first_date,
            max(activity_date) as last_date,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(sessions) as sessions,
            sum(add_to_carts) as add_to_carts,
            sum(orders_count) as orders,
            sum(new_customers) as new_customers,
            sum(cost_amount) as cost,
            sum(net_revenue) as revenue
        from recent
        cross join currencies
        group by channel, currency
        order by sum(impressions) desc, channel
        """,
        ChannelFunnel,
    )


def flywheel_stages(con: duckdb.DuckDBPyConnection) -> list[FlywheelStage]:
    return _records(
        con,
        """
        select flywheel_stage, count(*) as customers
        from marts.flywheel_stages
        group by flywheel_stage
        """,
        FlywheelStage,
    )


def lifecycle_statuses(con: duckdb.DuckDBPyConnection) -> list[LifecycleStatus]:
    return _records(
        con,
        """
        select lifecycle_status, count(*) as customers
        from marts.customer_ltv
        group by lifecycle_status
        """,
        LifecycleStatus,
    )


def membership_conversions(con: duckdb.DuckDBPyConnection) -> list[MembershipConversion]:
    """All categories first, then each first-purchase category by its number of buyers."""
    return _records(
        con,
        """
        select
            first_product_category as category,
            first_product_category_ko as category_ko,
            first_time_buyers,
            joined_after_first_purchase as joined,
            join_rate,
            median_days_to_join
        from marts.membership_conversion
        order by first_product_category = 'all' desc, first_time_buyers desc
        """,
        MembershipConversion,
    )


def membership_effects(con: duckdb.DuckDBPyConnection) -> list[MembershipEffect]:
    """Members against comparable non-members, all categories: everyone, then by first purchase."""
    return _records(
        con,
        """
        select
            horizon_days,
            first_purchase_kind,
            members,
            comparable_non_members,
            member_purchase_days,
            non_member_purchase_days,
            member_net_revenue,
            non_member_net_revenue
        from marts.membership_effect
        where first_product_category = 'all'
        order by horizon_days, first_purchase_kind = 'all' desc, first_purchase_kind
        """,
        MembershipEffect,
    )


@dataclass(frozen=True)
class ClvStatus:
    predicted: bool
    reason: str | None
    backtested: bool
    backtest_reason: str | None


@dataclass(frozen=True)
class BacktestRow:
    predicted_decile: int | None  # None: all customers
    customers: int
    predicted_purchase_days: float
    actual_purchase_days: float
    predicted_revenue: Decimal
    actual_revenue: Decimal
    revenue_error_pct: float | None
    cutoff_date: dt.date
    holdout_days: int


def clv_status(con: duckdb.DuckDBPyConnection) -> ClvStatus | None:
    rows = _records(
        con,
        "select predicted, reason, backtested, backtest_reason from marts.clv_model_status",
        ClvStatus,
    )
    return rows[0] if rows else None


def clv_backtest(con: duckdb.DuckDBPyConnection) -> list[BacktestRow]:
    """The overall row first, then the deciles of predicted value from lowest to highest."""
    return _records(
        con,
        """
        select predicted_decile, customers, predicted_purchase_days, actual_purchase_days,
            predicted_revenue, actual_revenue, revenue_error_pct, cutoff_date, holdout_days
        from marts.clv_backtest
        order by predicted_decile nulls first
        """,
        BacktestRow,
    )

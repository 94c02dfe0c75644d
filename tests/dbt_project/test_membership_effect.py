"""marts.membership_effect on generated customers whose buying we control: the real dbt model on
a DuckDB holding the three tables it reads.

Customers buy at their own daily rate until they drop out (so a customer buys less the longer
ago their first purchase was), and a third of them join the membership at a random number of days
after their first purchase, whatever their rate. For first category `granola` joining changes
nothing; for `nuts` it doubles the member's rate from the join day on. A fair comparison shows
no difference for granola (within TOLERANCE) and members buying more for nuts; the old one
(non-members followed from their first purchase) shows granola members buying less.
"""

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.dbt_vars import BUILD_VARS
from tests.conftest import dbt_like_a_run

START = dt.date(2024, 1, 1)
HISTORY_DAYS = 1_000
CUSTOMERS_PER_CATEGORY = 3_000
# With ~400-900 members per horizon the sampling error of the ratio is about 4%.
TOLERANCE = 0.10
EFFECT = {"granola": 1.0, "nuts": 2.0}


def generated_customers(seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = CUSTOMERS_PER_CATEGORY * len(EFFECT)
    category = np.repeat(list(EFFECT), CUSTOMERS_PER_CATEGORY)
    first_day = rng.integers(0, HISTORY_DAYS - 10, n)
    rate = rng.gamma(2.0, 1 / 80, n)  # purchase days per day: one every 40 days on average
    active_days = rng.exponential(200, n)  # then the customer drops out
    joins = rng.random(n) < 0.35
    days_to_join = np.where(joins, rng.integers(0, 181, n), -1)
    days = np.arange(1, HISTORY_DAYS)
    observed = days[None, :] <= (HISTORY_DAYS - 1 - first_day)[:, None]
    member = (days_to_join[:, None] >= 0) & (days[None, :] >= days_to_join[:, None])
    multiplier = np.where(member, np.vectorize(EFFECT.get)(category)[:, None], 1.0)
    bought = (
        observed
        & (days[None, :] <= active_days[:, None])
        & (rng.random((n, len(days))) < rate[:, None] * multiplier)
    )
    customer, day = np.nonzero(bought)
    return {
        "category": category,
        "first_day": first_day,
        "days_to_join": days_to_join,
        # Every customer's first purchase (day 0), then the later purchase days.
        "purchase_customer": np.concatenate([np.arange(n), customer]),
        "purchase_day": np.concatenate([np.zeros(n, dtype=np.int64), days[day]]),
        "net_amount": rng.integers(50, 200, n + len(customer)) * 100,
    }


def write_mart_inputs(db: Path, customers: dict[str, np.ndarray]) -> None:
    """The marts membership_effect reads, as the pipeline would have built them."""
    n = len(customers["category"])
    ids = np.array([f"c{i}" for i in range(n)])
    first_date = pd.to_datetime(START) + pd.to_timedelta(customers["first_day"], unit="D")
    owner = customers["purchase_customer"]
    purchase_days = pd.DataFrame(
        {
            "customer_id": ids[owner],
            "purchase_date": (first_date[owner] + pd.to_timedelta(customers["purchase_day"], "D")),
            "days_since_first_purchase": customers["purchase_day"],
            "net_amount": customers["net_amount"],
        }
    )
    # The newest purchase day is the as-of day: someone buys on the last day of the history.
    as_of = pd.Timestamp(START) + pd.Timedelta(days=HISTORY_DAYS - 1)
    purchase_days.loc[len(purchase_days)] = ["as-of", as_of, 0, 100]
    first_purchases = pd.DataFrame(
        {
            "customer_id": [*ids, "as-of"],
            "first_order_at": [*first_date, as_of],
            "first_product_category": [*customers["category"], "other"],
            "started_with_experience_product": False,
        }
    )
    joined = customers["days_to_join"]
    loyalty = pd.DataFrame(
        {
            "customer_id": [*ids, "as-of"],
            "joined_membership_at": [
                *np.where(joined >= 0, first_date + pd.to_timedelta(joined, "D"), pd.NaT),
                pd.NaT,
            ],
        }
    )
    with duckdb.connect(str(db)) as con:
        for name, frame in [
            ("purchase_days", purchase_days),
            ("first_purchases", first_purchases),
            ("loyalty", loyalty),
        ]:
            con.register(name, frame)
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_purchase_days as select customer_id,"
            " purchase_date::date as purchase_date, days_since_first_purchase::integer as"
            " days_since_first_purchase, net_amount::decimal(18, 2) as net_amount"
            " from purchase_days"
        )
        # Noon in Seoul: the local day is the generated day.
        con.execute(
            "create table marts.customer_first_purchases as select customer_id,"
            " timezone('Asia/Seoul', first_order_at + interval 12 hour) as first_order_at,"
            " first_product_category, first_product_category as first_product_category_ko,"
            " started_with_experience_product from first_purchases"
        )
        con.execute(
            "create table marts.customer_loyalty as select customer_id,"
            " timezone('Asia/Seoul', joined_membership_at + interval 12 hour)"
            " as joined_membership_at from loyalty"
        )


def naive_ratio(customers: dict[str, np.ndarray], category: str, horizon: int) -> float:
    """membership_conversion's old comparison on a fixed horizon: members from the join day,
    non-members from their first purchase, each observed for the whole horizon."""
    frame = pd.DataFrame(
        {"customer": customers["purchase_customer"], "day": customers["purchase_day"]}
    )
    start = np.maximum(customers["days_to_join"], 0)
    frame["start"] = start[frame["customer"]]
    inside = frame[(frame["day"] > frame["start"]) & (frame["day"] <= frame["start"] + horizon)]
    counts = np.bincount(inside["customer"], minlength=len(start))
    followed = (customers["category"] == category) & (
        HISTORY_DAYS - 1 - customers["first_day"] >= start + horizon
    )
    member = customers["days_to_join"] >= 0
    return counts[followed & member].mean() / counts[followed & ~member].mean()


@pytest.fixture(scope="module")
def customers() -> dict[str, np.ndarray]:
    return generated_customers()


@pytest.fixture(scope="module")
def effect(customers, tmp_path_factory) -> pd.DataFrame:
    work = tmp_path_factory.mktemp("membership-effect")
    db = work / BUILD_VARS["dangol_build_db"]
    write_mart_inputs(db, customers)
    dbt_like_a_run(
        ["run", "--quiet", "--select", "membership_effect"], db, work / "target", check=True
    )
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("from marts.membership_effect").df()


def rows(effect: pd.DataFrame, category: str) -> pd.DataFrame:
    return (
        effect[effect["first_product_category"] == category].set_index("horizon_days").sort_index()
    )


def test_a_membership_that_changes_nothing_shows_no_difference(effect, customers):
    granola = rows(effect, "granola")

    assert sorted(granola.index) == [90, 180, 365]
    assert (granola["members"] > 300).all()
    assert ((granola["purchase_days_ratio"] - 1).abs() < TOLERANCE).all(), granola
    revenue_ratio = granola["member_net_revenue"] / granola["non_member_net_revenue"]
    assert ((revenue_ratio.astype(float) - 1).abs() < TOLERANCE).all(), revenue_ratio
    # The published uncertainty says so too: no difference beyond three standard errors.
    error = granola["purchase_days_difference_standard_error"]
    assert (granola["purchase_days_difference"].abs() < 3 * error).all(), granola
    # Following non-members from their first purchase makes the same members look worse.
    assert naive_ratio(customers, "granola", 180) < 1 - TOLERANCE


def test_members_who_buy_more_show_it(effect):
    nuts = rows(effect, "nuts")

    assert (nuts["purchase_days_ratio"] > 1.5).all(), nuts
    assert (nuts["net_revenue_difference"] > 0).all()
    assert (
        nuts["purchase_days_difference"] > 3 * nuts["purchase_days_difference_standard_error"]
    ).all()
    everyone = (
        effect[
            (effect["first_product_category"] == "all") & (effect["first_purchase_kind"] == "all")
        ]
        .set_index("horizon_days")
        .sort_index()
    )
    # The `all` row weighs both categories: between no effect and a doubled rate.
    assert (everyone["purchase_days_ratio"] > 1 + TOLERANCE).all()
    assert (everyone["purchase_days_ratio"] < nuts["purchase_days_ratio"]).all()

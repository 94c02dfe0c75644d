"""The whole pipeline on generated exports: real ingest, dbt build, GX audit, publish, export.

Every expected figure is computed here, independently, with pandas over the export files.
"""

import datetime as dt
import functools
import hashlib
import json
import math
import shutil
import subprocess
import sys
import urllib.parse
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import phonenumbers
import pytest
import yaml

from orchestration.config import DEFAULT_CONFIG, DangolHome, load_config
from orchestration.manifest import DBT_PROJECT_DIR
from orchestration.runner import run_pipeline
from sample_data.base_exports import SEOUL, SampleExports, write_sample_exports
from sample_data.more_exports import write_channel_exports

pytestmark = pytest.mark.e2e
SEEDS = DBT_PROJECT_DIR / "seeds"
CENT = Decimal("0.01")


AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> SampleExports:
    landing = tmp_path_factory.mktemp("exports") / "landing"
    written = write_sample_exports(landing, customers=1_200, seed=11, as_of=AS_OF)
    # Membership joins of the base contacts, without dirt: the membership effect's input.
    others = tmp_path_factory.mktemp("other-exports")
    shutil.copytree(landing / "crm", others / "crm")
    shutil.copytree(landing / "shop", others / "shop")  # members' orders build on the base ones
    membership = write_channel_exports(others, seed=11, as_of=AS_OF, dirt_rate=0)
    shutil.copy(membership.files["membership_events"], landing / "crm")
    return written


@pytest.fixture(scope="module")
def published_home(tmp_path_factory, exports: SampleExports) -> DangolHome:
    home = DangolHome(
        root=tmp_path_factory.mktemp("home"), landing=exports.shop_orders.parent.parent
    )
    outcome = run_pipeline(home, DEFAULT_CONFIG)
    assert outcome.published, outcome.problems
    return home


def query(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def expected_orders(shop_orders: Path) -> pd.DataFrame:
    """Net revenue per order from the Shopify CSV, by the rules documented on fct_orders."""
    rows = pd.read_csv(shop_orders, dtype=str, keep_default_na=False)
    rows["line_amount"] = [
        Decimal(q) * Decimal(p)
        for q, p in zip(rows["Lineitem quantity"], rows["Lineitem price"], strict=True)
    ]
    merchandise = rows.groupby("Name")["line_amount"].sum()
    orders = rows[rows["Id"] != ""].set_index("Name")
    expected = pd.DataFrame({"order_id": "shopify-" + orders["Id"]})
    expected["merchandise"] = merchandise.reindex(orders.index)
    discount = orders["Discount Amount"].map(lambda v: Decimal(v or "0"))
    refund = orders["Refunded Amount"].map(lambda v: Decimal(v or "0"))
    kept = (
        expected["merchandise"]
        - discount
        - [min(r, m - d) for r, m, d in zip(refund, expected["merchandise"], discount, strict=True)]
    )
    cancelled = (orders["Cancelled at"] != "") | (orders["Financial Status"] == "voided")
    earns = orders["Financial Status"].isin(["paid", "partially_refunded", "refunded"])
    expected["net_amount"] = [
        k if e and not c else Decimal(0) for k, e, c in zip(kept, earns, cancelled, strict=True)
    ]
    return expected.reset_index(drop=True)


IDENTIFIER_RANK = {"email": 1, "phone": 2, "crm_contact_id": 4, "sns_handle": 6, "order_id": 7}
FALLBACK_PREFIX = {"crm_contact_id": "crm-", "sns_handle": "sns-", "order_id": ""}


def e164(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        number = phonenumbers.parse(text, "KR")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Several tests resolve the same exports: once per module is enough (the exports never change).
@functools.cache
def resolve_customers(shop_orders: Path, crm_contacts: Path) -> dict[tuple[str, str], str]:
    """Union-find over every record's identifiers: (type, value) -> salted customer key.

    Orders carry their email (or, for guests, phone) and billing phone; contacts their email,
    phone and Instagram handle. Emails/phones/handles seen with too many other emails and
    phones link nobody. The key is the salted hash of each group's best identifier.
    """
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))["identity"]
    salt, cap = config["customer_key_salt"], config["max_contact_points_per_identifier"]
    rows = pd.read_csv(shop_orders, dtype=str, keep_default_na=False)
    records = [
        {
            ("order_id", "shopify-" + o["Id"]),
            ("email", o["Email"].strip().lower()),
            ("phone", e164(o["Phone"] or o["Billing Phone"])),
        }
        for o in rows[rows["Id"] != ""].to_dict("records")
    ]
    contacts = pd.read_csv(crm_contacts, dtype=str, keep_default_na=False)
    records += [
        {
            ("crm_contact_id", c["Contact ID"].strip()),
            ("email", c["Email"].strip().lower()),
            ("phone", e164(c["Phone"])),
            ("sns_handle", c["Instagram Handle"].strip().lstrip("@").lower()),
        }
        for c in contacts.to_dict("records")
    ]
    records = [{(kind, value) for kind, value in r if value} for r in records]
    seen_with: dict[tuple[str, str], set] = {}
    for record in records:
        for identifier in record:
            others = {o for o in record if o != identifier and o[0] in ("email", "phone")}
            seen_with.setdefault(identifier, set()).update(others)
    shared = {i for i, others in seen_with.items() if i[0] != "order_id" and len(others) > cap}
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for record in records:
        usable = sorted(record - shared)
        for identifier in usable[1:]:
            parent[root(identifier)] = root(usable[0])
    groups: dict[tuple[str, str], list] = {}
    for node in list(parent):
        groups.setdefault(root(node), []).append(node)
    customer_of = {}
    for members in groups.values():
        kind, value = min(members, key=lambda i: (IDENTIFIER_RANK[i[0]], i[1]))
        key = (
            f"{kind}:{value}"
            if kind in ("email", "phone")
            else ("other:" + FALLBACK_PREFIX[kind] + value)
        )
        customer_id = hashlib.md5((salt + key).encode()).hexdigest()
        customer_of.update(dict.fromkeys(members, customer_id))
    return customer_of


def expected_purchases(exports: SampleExports) -> pd.DataFrame:
    """Purchases (paid or partially refunded orders) with their resolved customer and local day."""
    return _expected_purchases(exports).copy()


@functools.cache
def _expected_purchases(exports: SampleExports) -> pd.DataFrame:
    orders = expected_orders(exports.shop_orders)
    rows = pd.read_csv(exports.shop_orders, dtype=str, keep_default_na=False)
    header = rows[rows["Id"] != ""].reset_index(drop=True)
    customer_of = resolve_customers(exports.shop_orders, exports.crm_contacts)
    orders["customer"] = [customer_of[("order_id", o)] for o in orders["order_id"]]
    orders["ordered_date"] = [
        dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S %z").astimezone(SEOUL).date()
        for t in header["Created at"]
    ]
    purchase = header["Financial Status"].isin(["paid", "partially_refunded"]) & (
        header["Cancelled at"] == ""
    )
    return orders[purchase.to_numpy()]


def expected_revenue_by_customer(exports: SampleExports) -> pd.Series:
    """Net revenue per resolved customer with a purchase."""
    return (
        expected_purchases(exports)
        .groupby("customer")["net_amount"]
        .apply(lambda amounts: sum(amounts, Decimal(0)))
    )


def expected_rfm(exports: SampleExports) -> pd.DataFrame:
    """RFM by the documented default rules: frequency in purchase days, quintiles of percent
    rank, ties share a score,
    recency to the newest purchase, segment from the rfm_segments grid at (r, (f + m) // 2)."""
    purchases = expected_purchases(exports)
    rfm = purchases.groupby("customer").agg(
        last_order_date=("ordered_date", "max"),
        # Frequency counts purchase days: two orders on one local day are one purchase.
        frequency=("ordered_date", "nunique"),
        monetary=("net_amount", lambda amounts: sum(amounts, Decimal(0))),
    )
    as_of = purchases["ordered_date"].max()
    rfm["recency_days"] = [(as_of - d).days for d in rfm["last_order_date"]]
    n = len(rfm)

    def quintile(ascending_values: pd.Series) -> pd.Series:
        percent_rank = (ascending_values.rank(method="min") - 1) / (n - 1)
        return (1 + (percent_rank * 5).map(math.floor)).clip(upper=5).astype(int)

    rfm["r_score"] = quintile(-rfm["recency_days"])
    rfm["f_score"] = quintile(rfm["frequency"])
    rfm["m_score"] = quintile(rfm["monetary"].map(float))
    grid = pd.read_csv(SEEDS / "rfm_segments.csv").set_index(["r_score", "fm_score"])
    rfm["rfm_segment"] = [
        grid.loc[(r, (f + m) // 2), "rfm_segment"]
        for r, f, m in zip(rfm["r_score"], rfm["f_score"], rfm["m_score"], strict=True)
    ]
    return rfm


def expected_purchase_days(exports: SampleExports) -> pd.DataFrame:
    """One row per customer and local day with a purchase, net revenue summed, days counted
    from the customer's first purchase day."""
    days = (
        expected_purchases(exports)
        .groupby(["customer", "ordered_date"])["net_amount"]
        .apply(lambda amounts: sum(amounts, Decimal(0)))
        .reset_index()
    )
    first = days.groupby("customer")["ordered_date"].transform("min")
    days["first_date"] = first
    days["day"] = [(d - f).days for d, f in zip(days["ordered_date"], first, strict=True)]
    return days


def expected_first_categories(exports: SampleExports) -> pd.Series:
    """Per customer, the category of the line they paid most for in their first purchase:
    the first keyword (by priority) of product_categories.csv in its name, else `other`."""
    rows = pd.read_csv(exports.shop_orders, dtype=str, keep_default_na=False)
    rows["line_number"] = rows.groupby("Name").cumcount()
    rows["gross"] = [
        Decimal(q) * Decimal(p)
        for q, p in zip(rows["Lineitem quantity"], rows["Lineitem price"], strict=True)
    ]
    header = rows[rows["Id"] != ""]
    name_of = dict(zip("shopify-" + header["Id"], header["Name"], strict=True))
    created = dict(zip("shopify-" + header["Id"], header["Created at"], strict=True))
    purchases = expected_purchases(exports)
    purchases["ordered_at"] = [
        dt.datetime.strptime(created[o], "%Y-%m-%d %H:%M:%S %z") for o in purchases["order_id"]
    ]
    first_orders = purchases.sort_values(["ordered_at", "order_id"]).groupby("customer").head(1)
    main_lines = (
        rows.sort_values(["gross", "line_number"], ascending=[False, True])
        .groupby("Name")
        .head(1)
        .set_index("Name")["Lineitem name"]
    )
    keywords = pd.read_csv(SEEDS / "product_categories.csv").sort_values("priority")

    def category(product: str) -> str:
        hits = [c for k, c in zip(keywords["keyword"], keywords["product_category"], strict=True)
                if k.lower() in product.lower()]  # fmt: skip
        return hits[0] if hits else "other"

    return pd.Series(
        {
            customer: category(main_lines[name_of[order_id]])
            for customer, order_id in zip(
                first_orders["customer"], first_orders["order_id"], strict=True
            )
        }
    )


def expected_membership_effect(exports: SampleExports, horizons: list[int]) -> pd.DataFrame:
    """Members (joined on or after their first purchase day) against non-members of the same
    first category followed from the same days after their first purchase, none of them a
    member during the horizon, everyone observed for all of it; computed member by member.
    Customers whose first purchase is within a lapse window of the history's start may have
    bought before it and are left out."""
    config = load_config(DEFAULT_CONFIG)
    days = expected_purchase_days(exports).sort_values(["customer", "day"])
    as_of = days["ordered_date"].max()
    lapse_days = config.loyalty.lapse_multiplier * config.loyalty.expected_purchase_cycle_days
    new = days["first_date"] > days["ordered_date"].min() + dt.timedelta(days=lapse_days)
    days = days[new]
    first = days.groupby("customer")["first_date"].first()
    category = expected_first_categories(exports).reindex(first.index)
    experience = config.products.experience_categories
    customer_of = resolve_customers(exports.shop_orders, exports.crm_contacts)
    events = pd.read_csv(
        exports.crm_contacts.parent / "membership_events.csv", dtype=str, keep_default_na=False
    )
    joins = events[events["Event Type"] == "join"]
    joined: dict[str, dt.date] = {}
    for contact, moment in zip(joins["Contact ID"], joins["Occurred At"], strict=True):
        customer = customer_of[("crm_contact_id", contact)]
        day = dt.date.fromisoformat(moment[:10])
        joined[customer] = min(joined.get(customer, day), day)
    people = [
        {
            "id": customer,
            "group": (category[customer],
                      "experience" if category[customer] in experience else "other"),
            "observed": (as_of - first_date).days,
            "tenure": (joined[customer] - first_date).days if customer in joined else None,
            "days": group["day"].to_list(),
            "amounts": group["net_amount"].to_list(),
        }
        for (customer, group), first_date in zip(days.groupby("customer"), first, strict=True)
    ]  # fmt: skip

    def outcome(person, start: int, horizon: int) -> tuple[int, Decimal]:
        inside = [a for d, a in zip(person["days"], person["amounts"], strict=True)
                  if start < d <= start + horizon]  # fmt: skip
        return len(inside), sum(inside, Decimal(0))

    matched = []
    for horizon in horizons:
        for member in people:
            t = member["tenure"]
            if t is None or t < 0 or member["observed"] < t + horizon:
                continue
            comparable = [
                p
                for p in people
                if p["group"] == member["group"]
                and p["observed"] >= t + horizon
                and (p["tenure"] is None or p["tenure"] > t + horizon)
            ]
            if comparable:
                others = [outcome(p, t, horizon) for p in comparable]
                matched.append({
                    "horizon": horizon, "group": member["group"],
                    "member": outcome(member, t, horizon),
                    "non_member": (sum(o[0] for o in others) / len(others),
                                   sum((o[1] for o in others), Decimal(0)) / len(others)),
                    "comparable": {p["id"] for p in comparable},
                })  # fmt: skip
    rollups = {
        "category": lambda group: group,
        "kind": lambda group: ("all", group[1]),
        "all": lambda group: ("all", "all"),
    }
    rows = []
    for horizon in horizons:
        for rollup in rollups.values():
            mine = [m for m in matched if m["horizon"] == horizon]
            for key in {rollup(m["group"]) for m in mine}:
                chosen = [m for m in mine if rollup(m["group"]) == key]
                n = len(chosen)
                rows.append({
                    "horizon_days": horizon, "first_product_category": key[0],
                    "first_purchase_kind": key[1], "members": n,
                    "comparable_non_members": len(set().union(*(m["comparable"] for m in chosen))),
                    "member_purchase_days": sum(m["member"][0] for m in chosen) / n,
                    "non_member_purchase_days": sum(m["non_member"][0] for m in chosen) / n,
                    "member_net_revenue": sum(m["member"][1] for m in chosen) / n,
                    "non_member_net_revenue": sum(m["non_member"][1] for m in chosen) / n,
                })  # fmt: skip
    return pd.DataFrame(rows).set_index(
        ["horizon_days", "first_product_category", "first_purchase_kind"]
    )


def test_every_order_in_is_an_order_out(published_home: DangolHome, exports: SampleExports):
    expected = expected_orders(exports.shop_orders)
    published = query(published_home.published_db, "select order_id from marts.fct_orders")

    assert len(expected) == exports.orders
    assert sorted(published["order_id"]) == sorted(expected["order_id"])


def test_net_revenue_is_conserved_to_the_cent(published_home: DangolHome, exports: SampleExports):
    expected = expected_orders(exports.shop_orders).set_index("order_id")["net_amount"]
    published = (
        query(
            published_home.published_db,
            "select order_id, net_amount::varchar as net from marts.fct_orders",
        )
        .set_index("order_id")["net"]
        .map(Decimal)
    )

    assert sum(published) == sum(expected)
    mismatched = [
        o for o in expected.index if published[o].quantize(CENT) != expected[o].quantize(CENT)
    ]
    assert mismatched == []
    customers_total = query(
        published_home.published_db,
        "select sum(net_revenue)::varchar as total from marts.dim_customers",
    )["total"][0]
    assert Decimal(customers_total) == sum(expected)


def test_order_lines_share_out_each_orders_net_revenue_exactly(
    published_home: DangolHome, exports: SampleExports
):
    expected = expected_orders(exports.shop_orders).set_index("order_id")["net_amount"]
    lines = query(
        published_home.published_db,
        "select order_id, net_amount::varchar as net, quantity from marts.fct_order_lines",
    )
    lines["net"] = lines["net"].map(Decimal)
    by_order = lines.groupby("order_id")["net"].apply(lambda amounts: sum(amounts, Decimal(0)))

    assert len(lines) == exports.order_lines
    assert (lines["net"] >= 0).all()
    assert sorted(by_order.index) == sorted(expected.index)
    assert [o for o in expected.index if by_order[o] != expected[o].quantize(CENT)] == []


def test_purchases_land_on_the_channel_their_visit_came_from(
    published_home: DangolHome, exports: SampleExports
):
    rows = pd.read_csv(exports.shop_orders, dtype=str, keep_default_na=False)
    orders = rows[rows["Id"] != ""]
    purchase = orders["Financial Status"].isin(["paid", "partially_refunded"]) & (
        orders["Cancelled at"] == ""
    )

    def channel(landing_site: str, referring_site: str) -> str:
        # UTM source first, then the referrer under "referral", else unattributed.
        query_string = urllib.parse.parse_qs(urllib.parse.urlsplit(landing_site).query)
        if query_string.get("utm_source"):
            return query_string["utm_source"][0].lower()
        return "referral" if referring_site else "unattributed"

    expected = (
        pd.Series(
            [
                channel(landing, referrer)
                for landing, referrer in zip(
                    orders["Landing Site"], orders["Referring Site"], strict=True
                )
            ]
        )[purchase.to_numpy()]
        .value_counts()
        .sort_index()
    )
    published = query(
        published_home.published_db,
        "select channel, sum(orders_count) as purchases from marts.fct_channel_daily"
        " group by channel having sum(orders_count) > 0 order by channel",
    ).set_index("channel")["purchases"]

    assert published.to_dict() == expected.to_dict()
    assert {"naver_search", "instagram_ads", "referral", "unattributed"} <= set(published.index)


def test_every_order_belongs_to_the_customer_an_independent_resolution_finds(
    published_home: DangolHome, exports: SampleExports
):
    customer_of = resolve_customers(exports.shop_orders, exports.crm_contacts)
    published = query(
        published_home.published_db, "select order_id, customer_id from marts.fct_orders"
    )
    expected = published["order_id"].map(lambda o: customer_of[("order_id", o)])
    rows = pd.read_csv(exports.shop_orders, dtype=str, keep_default_na=False)
    header = rows[rows["Id"] != ""]
    # Before resolution a guest checkout (phone only) was a customer of its own.
    naive = header["Email"].str.strip().str.lower().where(header["Email"] != "", header["Phone"])

    assert (published["customer_id"] == expected).all()
    assert published["customer_id"].nunique() < naive.nunique()
    dim = query(published_home.published_db, "select customer_id from marts.dim_customers")
    assert set(dim["customer_id"]) == set(customer_of.values())


def test_every_customer_who_bought_has_an_rfm_segment(published_home: DangolHome):
    db = published_home.published_db
    buyers = query(db, "select customer_id from marts.dim_customers where orders_count > 0")
    rfm = query(
        db, "select customer_id, rfm_segment, r_score, f_score, m_score from marts.customer_rfm"
    )

    assert sorted(rfm["customer_id"]) == sorted(buyers["customer_id"])
    assert rfm["rfm_segment"].notna().all()
    assert rfm["rfm_segment"].nunique() >= 5  # a realistic customer base spreads over the grid


def test_customer_rfm_agrees_with_an_independent_count(
    published_home: DangolHome, exports: SampleExports
):
    expected = expected_rfm(exports)
    published = query(
        published_home.published_db,
        "select customer_id, recency_days, frequency, monetary::varchar as monetary, r_score,"
        " f_score, m_score, rfm_segment from marts.customer_rfm",
    ).set_index("customer_id")

    assert sorted(published.index) == sorted(expected.index)
    published = published.loc[expected.index]
    for column in ("recency_days", "frequency", "r_score", "f_score", "m_score", "rfm_segment"):
        assert published[column].tolist() == expected[column].tolist(), column
    assert published["monetary"].map(Decimal).tolist() == expected["monetary"].tolist()


def expected_lifecycle_status(exports: SampleExports) -> dict[str, str]:
    """Each buyer's lifecycle status by the rules in docs/glossary.md and dangol.yaml's
    loyalty: settings: the cycle is the longer of the brand's and the customer's own average
    gap between purchase days (once they have enough of them); lapsed past lapse_multiplier
    cycles, at risk past at_risk_multiplier, new with one purchase day, reactivated when the
    gap before the last purchase day was a lapse, else active."""
    loyalty = load_config(DEFAULT_CONFIG).loyalty
    purchases = expected_purchases(exports)
    as_of = purchases["ordered_date"].max()
    statuses = {}
    for customer, dates in purchases.groupby("customer")["ordered_date"]:
        days = sorted(set(dates))
        cycle = Fraction(loyalty.expected_purchase_cycle_days)
        if len(days) >= loyalty.own_rhythm_min_purchase_days:
            cycle = max(cycle, Fraction((days[-1] - days[0]).days, len(days) - 1))
        since = (as_of - days[-1]).days
        lapse = Fraction(loyalty.lapse_multiplier) * cycle
        if since > lapse:
            statuses[customer] = "lapsed"
        elif since > Fraction(loyalty.at_risk_multiplier) * cycle:
            statuses[customer] = "at_risk"
        elif len(days) == 1:
            statuses[customer] = "new"
        elif (days[-1] - days[-2]).days > lapse:
            statuses[customer] = "reactivated"
        else:
            statuses[customer] = "active"
    return statuses


def test_lifecycle_status_agrees_with_an_independent_count(
    published_home: DangolHome, exports: SampleExports
):
    expected = expected_lifecycle_status(exports)
    published = query(
        published_home.published_db, "select customer_id, lifecycle_status from marts.customer_ltv"
    ).set_index("customer_id")["lifecycle_status"]

    assert published.to_dict() == expected
    # The demo's customers cover every status, so each rule is exercised.
    assert set(expected.values()) == {"new", "active", "at_risk", "lapsed", "reactivated"}


def test_the_vip_list_holds_no_lapsed_customer(published_home: DangolHome):
    vips = query(
        published_home.published_db,
        "select ltv.lifecycle_status, loyalty.is_vip from marts.segment_members as members"
        " inner join marts.customer_ltv as ltv using (customer_id)"
        " inner join marts.customer_loyalty as loyalty using (customer_id)"
        " where members.segment_name = 'vip_top_decile'",
    )

    assert len(vips) > 0
    assert vips["is_vip"].all()
    assert "lapsed" not in set(vips["lifecycle_status"])


def test_membership_invitations_go_to_non_members_only(published_home: DangolHome):
    invited = query(
        published_home.published_db,
        "select members.segment_name, loyalty.is_member,"
        " first.started_with_experience_product from marts.segment_members as members"
        " inner join marts.customer_loyalty as loyalty using (customer_id)"
        " left join marts.customer_first_purchases as first using (customer_id)"
        " where members.segment_name like '%membership_invitation'",
    )

    assert set(invited["segment_name"]) == {
        "loyal_membership_invitation",
        "first_purchase_membership_invitation",
    }
    assert not invited["is_member"].any()
    first = invited[invited["segment_name"] == "first_purchase_membership_invitation"]
    assert first["started_with_experience_product"].all()


def test_revenue_concentration_agrees_with_an_independent_count(
    published_home: DangolHome, exports: SampleExports
):
    revenue = sorted(expected_revenue_by_customer(exports).to_list(), reverse=True)
    total = sum(revenue, Decimal(0))
    # Amounts as text: Decimal compares them to the cent, floats would not.
    summary = query(
        published_home.published_db,
        "select * replace (total_net_revenue::varchar as total_net_revenue,"
        " top_10_pct_net_revenue::varchar as top_10_pct_net_revenue,"
        " top_20_pct_net_revenue::varchar as top_20_pct_net_revenue,"
        " top_30_pct_net_revenue::varchar as top_30_pct_net_revenue)"
        " from marts.revenue_concentration_summary",
    ).iloc[0]
    top_decile = query(
        published_home.published_db,
        "select count(*) as n from marts.revenue_concentration where is_top_decile",
    )["n"][0]

    assert summary["customers_count"] == len(revenue)
    assert Decimal(summary["total_net_revenue"]) == total
    for percent in (10, 20, 30):
        # The top p% are the first ceil(p * customers / 100) customers by net revenue.
        top_customers = -(-percent * len(revenue) // 100)
        top_revenue = sum(revenue[:top_customers], Decimal(0))
        assert summary[f"top_{percent}_pct_customers"] == top_customers
        assert Decimal(summary[f"top_{percent}_pct_net_revenue"]) == top_revenue
        assert summary[f"top_{percent}_pct_revenue_share"] == float(top_revenue) / float(total)
    assert top_decile == -(-10 * len(revenue) // 100)
    # The demo base is as skewed as real ones: the top 30% bring well over half the revenue.
    assert summary["top_30_pct_revenue_share"] > 0.5


def test_repeat_purchase_rates_agree_with_an_independent_count(
    published_home: DangolHome, exports: SampleExports
):
    days = expected_purchase_days(exports)
    as_of = days["ordered_date"].max()
    second = days[days["day"] > 0].groupby("customer")["day"].min()
    first = days.groupby("customer")["first_date"].first()
    expected = {}
    for window in load_config(DEFAULT_CONFIG).kpis.repeat_rate_windows_days:
        for customer, first_date in first.items():
            if first_date + dt.timedelta(days=window) <= as_of:
                key = (first_date.replace(day=1), window)
                customers, repeats = expected.get(key, (0, 0))
                repeated = second.get(customer, window + 1) <= window
                expected[key] = (customers + 1, repeats + repeated)
    published = query(published_home.published_db, "from marts.repeat_purchase_rates")

    assert len(published) == len(expected)
    for row in published.itertuples():
        customers, repeats = expected[(row.cohort_month.date(), row.window_days)]
        assert (row.customers, row.repeat_customers) == (customers, repeats)
        assert row.repeat_rate == repeats / customers
    # Each window's oldest cohorts are there, and none younger than the window.
    assert {w for _, w in expected} == {30, 60, 90, 180, 365}


def test_membership_effect_agrees_with_an_independent_count(
    published_home: DangolHome, exports: SampleExports
):
    horizons = load_config(DEFAULT_CONFIG).kpis.membership_effect_horizons_days
    expected = expected_membership_effect(exports, horizons)
    published = query(
        published_home.published_db,
        "select * replace (member_net_revenue::varchar as member_net_revenue,"
        " non_member_net_revenue::varchar as non_member_net_revenue)"
        " from marts.membership_effect",
    ).set_index(["horizon_days", "first_product_category", "first_purchase_kind"])

    assert sorted(published.index) == sorted(expected.index)
    assert expected.loc[(90, "all", "all"), "members"] > 20
    for key, row in expected.iterrows():
        mart = published.loc[key]
        assert (mart["members"], mart["comparable_non_members"]) == (
            row["members"],
            row["comparable_non_members"],
        ), key
        # Means of whole purchase days: the same to the last bit but for summation order.
        assert mart["member_purchase_days"] == pytest.approx(row["member_purchase_days"], 1e-12)
        assert mart["non_member_purchase_days"] == pytest.approx(
            row["non_member_purchase_days"], 1e-12
        )
        # Money: the exact mean, to the cent.
        for column in ("member_net_revenue", "non_member_net_revenue"):
            assert abs(Decimal(mart[column]) - row[column]) <= CENT / 2, (key, column)


def test_monthly_retention_and_revenue_per_buyer_agree_with_an_independent_count(
    published_home: DangolHome, exports: SampleExports
):
    days = expected_purchase_days(exports)
    days["month"] = [d.replace(day=1) for d in days["ordered_date"]]
    buyers = days.groupby("month")["customer"].agg(set)
    published = query(published_home.published_db, "from marts.shop_kpis_monthly").set_index(
        "kpi_month"
    )

    assert [m.date() for m in published.index.sort_values()] == sorted(buyers.index)
    for month, row in published.iterrows():
        month = month.date()
        this_month = buyers[month]
        last_month = buyers.get((month - dt.timedelta(days=1)).replace(day=1), set())
        mine = days[days["month"] == month]
        revenue = sum(mine["net_amount"], Decimal(0))
        assert row["buyers"] == len(this_month)
        assert row["new_customers"] == (mine["day"] == 0).sum()
        assert row["returning_customers"] == mine[mine["day"] > 0]["customer"].nunique()
        assert row["previous_period_buyers"] == len(last_month)
        assert row["retained_customers"] == len(last_month & this_month)
        if last_month:
            assert row["retention_rate"] == len(last_month & this_month) / len(last_month)
            assert row["churn_rate"] == pytest.approx(1 - row["retention_rate"], abs=1e-15)
        assert Decimal(str(row["net_revenue"])) == revenue
        assert abs(Decimal(str(row["arppu"])) - revenue / len(this_month)) <= CENT / 2
    # Only the month holding the as-of day (the newest purchase day) can be partial.
    as_of = days["ordered_date"].max()
    month_end = (as_of.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1)
    partial = published.sort_index()["is_partial_period"].tolist()
    assert partial == [False] * (len(partial) - 1) + [as_of < month_end]


def test_bi_tables_hold_no_email_or_phone(published_home: DangolHome):
    with duckdb.connect(str(published_home.published_db), read_only=True) as con:
        text_columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where data_type = 'VARCHAR'"
        ).fetchall()
        leaks = [
            f"{schema}.{table}.{column}"
            for schema, table, column in text_columns
            if con.execute(
                f'select count(*) from "{schema}"."{table}"'
                f""" where regexp_matches("{column}", '@|\\+82|01[0-9]-[0-9]{{3,4}}-[0-9]{{4}}')"""
            ).fetchone()[0]
        ]
        schemas = {
            row[0] for row in con.execute("select schema_name from duckdb_schemas()").fetchall()
        }
    assert leaks == []
    assert "restricted" not in schemas and "raw" not in schemas


def test_segment_export_holds_only_people_who_accepted_email(
    published_home: DangolHome, exports: SampleExports
):
    contacts = pd.read_csv(exports.crm_contacts, dtype=str, keep_default_na=False)
    email = contacts["Email"].str.strip().str.lower()
    accepted = set(email[contacts["Email Consent"] == "Y"])
    declined = set(email[contacts["Email Consent"] != "Y"])
    [export] = published_home.exports_dir.glob("*/at_risk_win_back_email.csv")
    listed = pd.read_csv(export, dtype=str, encoding="utf-8-sig")

    assert export.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Hangul
    assert export.stat().st_mode & 0o777 == 0o600
    assert len(listed) > 0
    assert set(listed["email"]) <= accepted
    assert not set(listed["email"]) & declined
    assert set(listed["rfm_segment"]) <= {"At Risk", "Can't Lose Them"}


def test_every_list_holds_only_fresh_opt_ins_for_its_channel(
    published_home: DangolHome, exports: SampleExports
):
    """Independently of dbt: from the CRM export, who opted in to each channel within the
    last two years (consent date or re-confirmation); every listed contact must be one."""
    contacts = pd.read_csv(exports.crm_contacts, dtype=str, keep_default_na=False)
    # A day's slack: the CRM writes local times without a zone.
    fresh_after = pd.Timestamp.now() - pd.Timedelta(days=731)
    phones = contacts["Phone"].map(e164)
    allowed = {}
    for channel, column in (("email", "Email"), ("sms", "SMS"), ("kakao", "Kakao")):
        confirmed = pd.to_datetime(contacts[f"{column} Consent Date"], errors="coerce")
        if f"{column} Reconfirmed At" in contacts:
            reconfirmed = pd.to_datetime(contacts[f"{column} Reconfirmed At"], errors="coerce")
            confirmed = confirmed.combine(reconfirmed, max)
        ok = (contacts[f"{column} Consent"] == "Y") & (confirmed >= fresh_after)
        contact = contacts["Email"].str.strip().str.lower() if channel == "email" else phones
        allowed[channel] = set(contact[ok])
    [manifest_file] = published_home.exports_dir.glob("*/manifest.json")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))

    assert len(manifest["segments"]) >= 4
    for name, segment in manifest["segments"].items():
        listed = pd.read_csv(manifest_file.parent / f"{name}.csv", dtype=str, encoding="utf-8-sig")
        contact = listed["email" if segment["channel"] == "email" else "phone_e164"]
        assert set(contact) <= allowed[segment["channel"]], name
        assert segment["people"] == len(listed)
        assert segment["members"] == segment["people"] + sum(segment["excluded"].values())


def test_a_second_run_with_no_new_files_publishes_the_same_numbers_with_parquet_off(
    published_home: DangolHome, tmp_path: Path
):
    home = DangolHome(root=tmp_path / "home", landing=published_home.landing)
    shutil.copytree(published_home.root, home.root, symlinks=True)
    # The second run also leaves the Parquet snapshot out (publish.parquet_snapshot), which
    # changes nothing a BI tool reads in the DuckDB file.
    settings = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings["publish"]["parquet_snapshot"] = False
    config = tmp_path / "no_parquet.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    assert (home.warehouse_dir / "parquet").is_dir()
    marts = [
        "fct_orders",
        "dim_customers",
        "customer_rfm",
        "segment_members",
        "customer_ltv",
        "revenue_concentration",
        "revenue_concentration_summary",
        "cohort_retention",
        "fct_order_lines",
        "dim_products",
        "dim_date",
        "fct_channel_daily",
        "channel_funnel_daily",
        "fct_engagement_events",
        "customer_loyalty",
        "flywheel_stages",
        "flywheel_kpis_monthly",
        "repeat_purchase_rates",
        "membership_effect",
        "shop_kpis_monthly",
        # The CLV model refits every run: the same data gives the same fit, to the last bit.
        "customer_purchase_summary",
        "customer_clv",
        "clv_model_fit",
        "clv_backtest",
        "clv_model_status",
    ]
    before = {m: query(home.published_db, f"from marts.{m} order by all") for m in marts}
    files_before = query(home.state_db, "select count(*) as n from raw.ingest_files")["n"][0]

    outcome = run_pipeline(home, config)

    assert outcome.published, outcome.problems
    # No snapshot, and no link left naming the first release's.
    assert not (home.warehouse_dir / "parquet").exists()
    release = home.warehouse_dir / "releases" / str(outcome.release_id)
    assert (release / "dangol.duckdb").is_file() and not (release / "parquet").exists()
    for mart in marts:
        pd.testing.assert_frame_equal(
            query(home.published_db, f"from marts.{mart} order by all"), before[mart]
        )
    assert (
        query(home.state_db, "select count(*) as n from raw.ingest_files")["n"][0] == files_before
    )


def test_a_failed_audit_leaves_the_published_warehouse_byte_for_byte(
    published_home: DangolHome, exports: SampleExports, tmp_path: Path
):
    landing = tmp_path / "landing"
    shutil.copytree(published_home.landing, landing)
    home = DangolHome(root=tmp_path / "home", landing=landing)
    shutil.copytree(published_home.root, home.root, symlinks=True)
    # A later export whose order has an unreadable date: the staging column rules must block.
    rows = pd.read_csv(exports.shop_orders, dtype=str, keep_default_na=False).head(1)
    rows["Id"], rows["Name"], rows["Created at"] = "9999999999999", "#99999", "last Tuesday"
    rows.to_csv(landing / "shop" / "orders_export_2.csv", index=False)
    fingerprint = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    published_before, state_before = fingerprint(home.published_db), fingerprint(home.state_db)

    dangol = Path(sys.executable).with_name("dangol")
    result = subprocess.run(
        [str(dangol), "run", "--home", str(home.root), "--landing", str(landing)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "did not publish" in result.stderr
    assert "column_rules_stg_shopify__orders failed: ordered_at: 1 null row" in result.stderr
    assert fingerprint(home.published_db) == published_before
    assert fingerprint(home.state_db) == state_before


def test_a_failed_quality_check_blocks_publication_byte_for_byte(
    published_home: DangolHome, tmp_path: Path
):
    home = DangolHome(root=tmp_path / "home", landing=published_home.landing)
    shutil.copytree(published_home.root, home.root, symlinks=True)
    # A brand that declares every order above 1,000 won implausible: real orders now fail.
    strict = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    strict["quality"]["max_order_amount"] = 1000
    config = tmp_path / "strict.yaml"
    config.write_text(yaml.safe_dump(strict, allow_unicode=True), encoding="utf-8")
    published_before = hashlib.sha256(home.published_db.read_bytes()).hexdigest()
    releases_before = sorted(p.name for p in (home.warehouse_dir / "releases").iterdir())

    outcome = run_pipeline(home, config)

    assert not outcome.published
    assert any(
        "great_expectations_suite failed" in p and "gross_amount" in p for p in outcome.problems
    ), outcome.problems
    assert outcome.quality_report and Path(outcome.quality_report).exists()
    assert hashlib.sha256(home.published_db.read_bytes()).hexdigest() == published_before
    assert sorted(p.name for p in (home.warehouse_dir / "releases").iterdir()) == releases_before

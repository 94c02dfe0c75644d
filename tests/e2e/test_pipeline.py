"""The whole pipeline on generated exports: real ingest, dbt build, GX audit, publish, export.

Every expected figure is computed here, independently, with pandas over the export files.
"""

import datetime as dt
import hashlib
import json
import math
import shutil
import subprocess
import sys
import urllib.parse
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import phonenumbers
import pytest
import yaml

from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.manifest import DBT_PROJECT_DIR
from orchestration.runner import run_pipeline
from sample_data.base_exports import SEOUL, SampleExports, write_sample_exports

pytestmark = pytest.mark.e2e
SEEDS = DBT_PROJECT_DIR / "seeds"
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> SampleExports:
    landing = tmp_path_factory.mktemp("exports") / "landing"
    return write_sample_exports(landing, customers=1_200, seed=11, as_of=dt.date(2026, 10, 31))


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
    """RFM by the documented default rules: quintiles of percent rank, ties share a score,
    recency to the newest purchase, segment from the rfm_segments grid at (r, (f + m) // 2)."""
    purchases = expected_purchases(exports)
    rfm = purchases.groupby("customer").agg(
        last_order_date=("ordered_date", "max"),
        frequency=("order_id", "count"),
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


def test_a_second_run_with_no_new_files_publishes_the_same_numbers(
    published_home: DangolHome, tmp_path: Path
):
    home = DangolHome(root=tmp_path / "home", landing=published_home.landing)
    shutil.copytree(published_home.root, home.root, symlinks=True)
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
        # The CLV model refits every run: the same data gives the same fit, to the last bit.
        "customer_purchase_summary",
        "customer_clv",
        "clv_model_fit",
        "clv_backtest",
        "clv_model_status",
    ]
    before = {m: query(home.published_db, f"from marts.{m} order by all") for m in marts}
    files_before = query(home.state_db, "select count(*) as n from raw.ingest_files")["n"][0]

    outcome = run_pipeline(home, DEFAULT_CONFIG)

    assert outcome.published, outcome.problems
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
    # A later export whose order has an unreadable date: the staging not_null test must block.
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
    assert "not_null_stg_shopify__orders_ordered_at" in result.stderr
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

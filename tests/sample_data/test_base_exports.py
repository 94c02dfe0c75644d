import csv
import datetime as dt
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest

import sample_data.base_exports as sample_exports
from sample_data.base_exports import SampleExports, write_sample_exports

AS_OF = dt.date(2026, 3, 5)
CUSTOMERS = 3_000
SEED = 7

# Spelled out rather than imported, so a drift in the module's constants fails here.
SHOPIFY_HEADER_LINE = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,"
    "Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References,"
    # What order-export apps add: the visit's landing page (UTM tags) and referrer.
    "Landing Site,Referring Site"
)
CRM_HEADER_LINE = (
    "Contact ID,Name,Email,Phone,Email Consent,Email Consent Date,SMS Consent,SMS Consent Date,"
    "Kakao Consent,Kakao Consent Date,Night Consent,Instagram Handle,Created At,Updated At"
)
SNS_HEADER_LINE = "Platform,Handle,Event Type,Post ID,Occurred At,Rating"

LINE_ITEM_COLUMNS = {
    "Name",
    "Email",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Vendor",
    "Lineitem discount",
}
SHOPIFY_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0900"
LOCAL_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
ISO_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00"
WON = r"\d+\.00"
MOBILE = r"010-\d{4}-\d{4}"
EMAIL = r"[a-z]+(?:[._][a-z]+)?\d+@example\.(?:com|net|org)"
CAPTURED = ["paid", "partially_refunded", "refunded"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> SampleExports:
    return write_sample_exports(
        tmp_path_factory.mktemp("exports"), customers=CUSTOMERS, seed=SEED, as_of=AS_OF
    )


@pytest.fixture(scope="module")
def rows(exports: SampleExports) -> pd.DataFrame:
    return _read(exports.shop_orders)


@pytest.fixture(scope="module")
def orders(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per order: its first line row plus money computed from all its lines."""
    first = rows[rows["Id"] != ""].set_index("Name")
    quantity = rows["Lineitem quantity"].astype("int64")
    merchandise = (quantity * _won(rows["Lineitem price"])).groupby(rows["Name"]).sum()
    return first.assign(merchandise=merchandise)


@pytest.fixture(scope="module")
def contacts(exports: SampleExports) -> pd.DataFrame:
    return _read(exports.crm_contacts)


@pytest.fixture(scope="module")
def events(exports: SampleExports) -> pd.DataFrame:
    return _read(exports.sns_engagement)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _won(amounts: pd.Series) -> pd.Series:
    assert amounts.str.fullmatch(WON).all(), amounts[~amounts.str.fullmatch(WON)]
    return amounts.str.removesuffix(".00").astype("int64")


def _normalised(emails: pd.Series) -> pd.Series:
    return emails.str.strip().str.lower()


def test_files_land_where_the_pipeline_looks_and_counts_match(
    exports: SampleExports, rows: pd.DataFrame, contacts: pd.DataFrame, events: pd.DataFrame
) -> None:
    root = exports.shop_orders.parents[1]
    assert exports.shop_orders == root / "shop" / "orders_export_1.csv"
    assert exports.crm_contacts == root / "crm" / "contacts.csv"
    assert exports.sns_engagement == root / "sns" / "engagement_events.csv"
    for path in (exports.shop_orders, exports.crm_contacts, exports.sns_engagement):
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
    assert exports.customers == CUSTOMERS
    assert exports.order_lines == len(rows)
    assert exports.orders == rows["Name"].nunique() == (rows["Id"] != "").sum()
    assert exports.contacts == len(contacts)
    assert exports.engagement_events == len(events)
    assert rows["Billing Phone"].replace("", pd.NA).dropna().nunique() == CUSTOMERS


def test_same_arguments_give_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = write_sample_exports(tmp_path / "a", customers=400, seed=11, as_of=AS_OF)
    again = write_sample_exports(tmp_path / "b", customers=400, seed=11, as_of=AS_OF)
    other = write_sample_exports(tmp_path / "c", customers=400, seed=12, as_of=AS_OF)
    for attribute in ("shop_orders", "crm_contacts", "sns_engagement"):
        one = getattr(first, attribute).read_bytes()
        assert one == getattr(again, attribute).read_bytes(), attribute
        assert one != getattr(other, attribute).read_bytes(), attribute


def test_writing_in_slices_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = write_sample_exports(tmp_path / "whole", customers=400, seed=3, as_of=AS_OF)
    monkeypatch.setattr(sample_exports, "_ORDERS_PER_SLICE", 97)
    sliced = write_sample_exports(tmp_path / "sliced", customers=400, seed=3, as_of=AS_OF)
    assert sliced.orders > 97 * 3
    assert sliced.shop_orders.read_bytes() == whole.shop_orders.read_bytes()
    assert [p.name for p in sliced.shop_orders.parent.iterdir()] == ["orders_export_1.csv"]


def test_headers_are_exactly_the_documented_layouts(exports: SampleExports) -> None:
    for path, header in (
        (exports.shop_orders, SHOPIFY_HEADER_LINE),
        (exports.crm_contacts, CRM_HEADER_LINE),
        (exports.sns_engagement, SNS_HEADER_LINE),
    ):
        assert path.read_bytes().split(b"\n", 1)[0].decode("utf-8") == header


def test_files_are_plain_utf8_rfc4180_with_unix_newlines(exports: SampleExports) -> None:
    for path in (exports.shop_orders, exports.crm_contacts, exports.sns_engagement):
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in raw
        assert raw.endswith(b"\n")
        with path.open(encoding="utf-8", newline="") as handle:
            parsed = list(csv.reader(handle, strict=True))
        assert {len(row) for row in parsed} == {len(parsed[0])}
    # Values with commas and quotes must survive the round trip.
    orders_text = exports.shop_orders.read_text(encoding="utf-8")
    assert '"키즈 그래놀라 ""별"" 300g"' in orders_text
    assert '"견과류 믹스, 대용량 1kg"' in orders_text
    assert "\n#1001," in orders_text  # no needless quoting of order names


def test_order_fields_sit_on_the_first_row_only(rows: pd.DataFrame) -> None:
    later = rows["Name"] == rows["Name"].shift()
    assert later.any()
    assert (rows.loc[~later, "Id"] != "").all()
    for column in rows.columns.difference(sorted(LINE_ITEM_COLUMNS)):
        assert (rows.loc[later, column] == "").all(), column
    for column in LINE_ITEM_COLUMNS - {"Email", "Lineitem compare at price"}:
        assert (rows[column] != "").all(), column
    # Shopify repeats the email on every row of an order, exactly as on its first row.
    assert (rows.loc[later, "Email"] == rows["Email"].shift()[later]).all()


def test_orders_are_contiguous_and_named_in_order_of_creation(
    rows: pd.DataFrame, orders: pd.DataFrame
) -> None:
    order_names = rows["Name"][rows["Name"] != rows["Name"].shift()]
    assert order_names.is_unique
    assert list(order_names) == [f"#{1001 + i}" for i in range(len(order_names))]
    created = pd.to_datetime(orders["Created at"], format="%Y-%m-%d %H:%M:%S %z")
    assert created.is_monotonic_increasing
    assert orders["Id"].str.fullmatch(r"[1-9]\d{12}").all()
    assert orders["Id"].is_unique
    lines_per_order = rows.groupby("Name").size()
    assert lines_per_order.between(1, 4).all()
    assert lines_per_order.isin([1, 2]).mean() > 0.7
    assert rows["Lineitem quantity"].astype("int64").between(1, 3).all()
    assert not rows.duplicated(["Name", "Lineitem sku"]).any()


def test_money_adds_up_the_way_the_pipeline_relies_on(
    rows: pd.DataFrame, orders: pd.DataFrame
) -> None:
    assert (_won(rows["Lineitem price"]) % 100 == 0).all()
    assert (rows["Lineitem discount"] == "0.00").all()
    assert (orders["Currency"] == "KRW").all()
    subtotal, shipping, total = (_won(orders[c]) for c in ("Subtotal", "Shipping", "Total"))
    discount, refunded = _won(orders["Discount Amount"]), _won(orders["Refunded Amount"])

    assert (subtotal == orders["merchandise"] - discount).all()
    assert shipping.isin([0, 3000]).all()
    assert (_won(orders["Taxes"]) == 0).all()
    assert (total == subtotal + shipping).all()
    assert (discount % 100 == 0).all()
    assert (discount * 5 <= orders["merchandise"]).all()
    assert ((discount > 0) == (orders["Discount Code"] != "")).all()
    assert 0.5 < (discount == 0).mean() < 0.95
    assert orders.loc[discount > 0, "Discount Code"].str.fullmatch(r"[A-Z]+\d+").all()

    status = orders["Financial Status"]
    partial = status == "partially_refunded"
    assert ((refunded[partial] > 0) & (refunded[partial] < subtotal[partial])).all()
    assert (refunded[partial] % 100 == 0).all()
    assert (refunded[status == "refunded"] == subtotal[status == "refunded"]).all()
    assert (refunded[~status.isin(["partially_refunded", "refunded"])] == 0).all()

    outstanding = _won(orders["Outstanding Balance"])
    assert (outstanding[status == "pending"] == total[status == "pending"]).all()
    assert (outstanding[status != "pending"] == 0).all()


def test_every_status_appears_with_consistent_dates(orders: pd.DataFrame) -> None:
    status = orders["Financial Status"]
    shares = status.value_counts(normalize=True)
    assert set(shares.index) == {"paid", "pending", "partially_refunded", "refunded", "voided"}
    assert shares["paid"] > 0.8

    def when(column: str) -> pd.Series:
        return pd.to_datetime(orders[column].replace("", None), format="%Y-%m-%d %H:%M:%S %z")

    created, paid, cancelled = when("Created at"), when("Paid at"), when("Cancelled at")
    captured = status.isin(CAPTURED)
    delay = paid[captured] - created[captured]
    assert ((delay > pd.Timedelta(0)) & (delay < pd.Timedelta(minutes=20))).all()
    assert paid[~captured].isna().all()
    voided = status == "voided"
    assert (cancelled[voided] > created[voided]).all()
    assert cancelled[~voided].isna().all()
    assert (orders.loc[voided, "Refunded Amount"] == "0.00").all()
    fulfilled = orders["Fulfillment Status"] == "fulfilled"
    assert orders["Fulfillment Status"].isin(["fulfilled", "unfulfilled"]).all()
    assert (when("Fulfilled at").notna() == fulfilled).all()
    assert not fulfilled[status.isin(["pending", "voided"])].any()


def test_no_date_falls_outside_the_two_years_ending_at_as_of(
    orders: pd.DataFrame, contacts: pd.DataFrame, events: pd.DataFrame
) -> None:
    last_day = AS_OF.isoformat()
    window_start = dt.date(AS_OF.year - 2, AS_OF.month, AS_OF.day + 1).isoformat()
    for column in ("Created at", "Paid at", "Fulfilled at", "Cancelled at"):
        values = orders[column][orders[column] != ""]
        assert values.str.fullmatch(SHOPIFY_TIME).all(), column
        assert (values.str[:10] <= last_day).all(), column
        assert (values.str[:10] >= window_start).all(), column
    assert orders["Created at"].str[:10].max() >= "2026-02-01"
    for column in ("Email Consent Date", "SMS Consent Date", "Kakao Consent Date", "Created At"):
        values = contacts[column][contacts[column] != ""]
        assert values.str.fullmatch(LOCAL_TIME).all(), column
        assert (values.str[:10] <= last_day).all(), column
    assert (contacts["Updated At"] >= contacts["Created At"]).all()
    assert (contacts["Updated At"].str[:10] <= last_day).all()
    assert events["Occurred At"].str.fullmatch(ISO_TIME).all()
    assert (events["Occurred At"].str[:10] <= last_day).all()
    assert (events["Occurred At"].str[:10] >= window_start).all()


def test_customers_behave_like_real_ones(orders: pd.DataFrame) -> None:
    customer = orders["Billing Phone"]
    orders_each = customer.value_counts()
    assert 0.5 < (orders_each == 1).mean() < 0.7
    assert (orders_each >= 10).sum() >= 10
    assert orders_each.max() <= 60

    captured = orders["Financial Status"].isin(CAPTURED)
    net = _won(orders["Subtotal"]) - _won(orders["Refunded Amount"])
    by_customer = net[captured].groupby(customer[captured]).sum().sort_values(ascending=False)
    top_fifth = by_customer.iloc[: len(orders_each) // 5].sum()
    assert top_fifth / by_customer.sum() > 0.5

    heavy = customer.map(orders_each) >= 10
    merchandise = orders["merchandise"]
    assert merchandise[heavy].mean() > merchandise[~heavy].mean()


def test_holiday_seasons_bring_more_orders(orders: pd.DataFrame) -> None:
    per_day = orders["Created at"].str[:10].value_counts()
    month = per_day.index.str[5:7]
    year_end = per_day[month.isin(["11", "12"])].mean()
    spring = per_day[month.isin(["04", "05", "06"])].mean()
    assert year_end > 1.15 * spring


def test_first_orders_favour_the_trial_products(rows: pd.DataFrame) -> None:
    first_rows = rows[rows["Id"] != ""]
    first_order_of_customer = ~first_rows["Billing Phone"].duplicated()
    first_names = set(first_rows.loc[first_order_of_customer, "Name"])
    trial = rows["Lineitem name"].str.contains("Trial Kit|Starter Sampler")
    on_first = trial[rows["Name"].isin(first_names)].mean()
    on_later = trial[~rows["Name"].isin(first_names)].mean()
    assert on_first > 3 * on_later


def test_emails_are_stable_reserved_and_a_little_dirty(rows: pd.DataFrame) -> None:
    emails = rows["Email"][rows["Email"] != ""]
    clean = _normalised(emails)
    assert clean.str.fullmatch(EMAIL).all()
    dirty_share = (emails != clean).mean()
    assert 0.05 < dirty_share < 0.15
    first = rows[rows["Id"] != ""]
    with_email = first[first["Email"] != ""]
    # One person, one address: each phone maps to one normalised email and back.
    pairs = pd.DataFrame(
        {"phone": with_email["Billing Phone"], "email": _normalised(with_email["Email"])}
    )
    pairs = pairs.drop_duplicates()
    assert pairs["phone"].is_unique and pairs["email"].is_unique
    assert first["Billing Phone"].str.fullmatch(MOBILE).all()
    assert first["Accepts Marketing"].isin(["yes", "no"]).all()
    assert (first["Billing Country"] == "KR").all()
    assert first["Billing Name"].str.fullmatch(r"[가-힣]{2,4}").all()
    assert first["Billing Zip"].str.fullmatch(r"\d{5}").all()


def test_guest_checkouts_have_a_phone_but_no_email(orders: pd.DataFrame) -> None:
    guest = orders["Email"] == ""
    assert 0.005 < guest.mean() < 0.05
    assert orders.loc[guest, "Phone"].str.fullmatch(r"(\+82 10|010)-\d{4}-\d{4}").all()
    assert (orders.loc[~guest, "Phone"] == "").all()
    assert (orders.loc[guest, "Accepts Marketing"] == "no").all()


def test_consent_dates_are_present_exactly_when_consent_is_given(contacts: pd.DataFrame) -> None:
    for channel, target in (("Email", 0.55), ("SMS", 0.40), ("Kakao", 0.35)):
        consent = contacts[f"{channel} Consent"]
        assert consent.isin(["Y", "N"]).all()
        assert ((consent == "Y") == (contacts[f"{channel} Consent Date"] != "")).all()
        assert abs((consent == "Y").mean() - target) < 0.05
    any_channel = contacts[["Email Consent", "SMS Consent", "Kakao Consent"]].eq("Y").any(axis=1)
    night = contacts["Night Consent"] == "Y"
    assert not (night & ~any_channel).any()
    assert 0.1 < night.mean() < 0.2
    two_years_ago = dt.date(AS_OF.year - 2, AS_OF.month, AS_OF.day).isoformat()
    dates = contacts[["Email Consent Date", "SMS Consent Date", "Kakao Consent Date"]]
    stale = dates.apply(lambda d: (d != "") & (d.str[:10] < two_years_ago))
    assert stale.any(axis=None)


def test_crm_holds_most_buyers_plus_leads(orders: pd.DataFrame, contacts: pd.DataFrame) -> None:
    assert list(contacts["Contact ID"]) == [f"C{i:06d}" for i in range(1, len(contacts) + 1)]
    assert contacts["Created At"].is_monotonic_increasing
    assert contacts["Phone"].str.fullmatch(MOBILE).all()
    assert contacts["Phone"].is_unique
    crm_emails = _normalised(contacts["Email"])
    assert crm_emails.str.fullmatch(EMAIL).all()
    assert crm_emails.is_unique
    buyer_phones = set(orders["Billing Phone"])
    is_buyer = contacts["Phone"].isin(buyer_phones)
    assert 0.6 < is_buyer.sum() / CUSTOMERS < 0.8
    assert 0.1 < (~is_buyer).sum() / CUSTOMERS < 0.2

    handles = contacts["Instagram Handle"][contacts["Instagram Handle"] != ""]
    assert 0.2 < len(handles) / len(contacts) < 0.3
    assert handles.is_unique
    assert handles.str.fullmatch(r"@[a-z0-9._]+").all()


def test_engagement_mostly_comes_from_contacts(
    orders: pd.DataFrame, contacts: pd.DataFrame, events: pd.DataFrame
) -> None:
    assert events["Platform"].isin(["instagram", "youtube", "naver_blog"]).all()
    assert events["Platform"].value_counts().idxmax() == "instagram"
    event_types = {"like", "comment", "share", "save", "follow", "mention", "review"}
    assert set(events["Event Type"]) == event_types
    prefix = events["Platform"].map({"instagram": "IG", "youtube": "YT", "naver_blog": "NB"})
    assert (events["Post ID"].str[:2] == prefix).all()
    assert events["Post ID"].str.fullmatch(r"(IG|YT|NB)_\d{6}").all()
    assert events["Occurred At"].is_monotonic_increasing
    # Reviews carry a star rating, mostly positive; other events none.
    reviews = events["Event Type"] == "review"
    assert set(events.loc[reviews, "Rating"]) == {"1", "2", "3", "4", "5"}
    assert (events.loc[reviews, "Rating"] >= "4").mean() > 0.6
    assert (events.loc[~reviews, "Rating"] == "").all()

    handles = contacts["Instagram Handle"][contacts["Instagram Handle"] != ""]
    from_strangers = (~events["Handle"].isin(handles)).mean()
    assert 0.1 < from_strangers < 0.3
    assert 2.5 < len(events) / len(handles) < 3.5

    # Repeat buyers engage more than one-time buyers and leads who never ordered.
    per_handle = events["Handle"].value_counts()
    orders_each = orders["Billing Phone"].value_counts()
    with_handle = contacts[contacts["Instagram Handle"] != ""]
    activity = with_handle["Instagram Handle"].map(per_handle).fillna(0)
    repeat_buyer = with_handle["Phone"].map(orders_each).fillna(0) >= 3
    assert activity[repeat_buyer].mean() > 1.2 * activity[~repeat_buyer].mean()


def test_default_as_of_is_today_in_seoul(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    written = write_sample_exports(tmp_path, customers=50, seed=1)
    created = _read(written.shop_orders)["Created at"]
    created = created[created != ""].str[:10]
    assert created.max() <= today.isoformat()
    assert created.min() >= (today - dt.timedelta(days=731)).isoformat()


def test_about_half_the_orders_come_from_tagged_ads_and_some_from_referrers(
    exports: SampleExports,
) -> None:
    orders = _read(exports.shop_orders).query("Id != ''")
    tagged = orders["Landing Site"].str.contains("utm_source=")
    sources = orders.loc[tagged, "Landing Site"].map(
        lambda url: urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    )

    assert 0.35 < tagged.mean() < 0.55
    assert {q["utm_source"][0] for q in sources} == set(sample_exports.AD_CHANNELS)
    assert {q["utm_campaign"][0] for q in sources} == {sample_exports.AD_CAMPAIGN}
    assert 0.08 < (orders["Referring Site"] != "").mean() < 0.22
    assert not (tagged & (orders["Referring Site"] != "")).any()


def test_small_samples_still_write_valid_files(tmp_path: Path) -> None:
    written = write_sample_exports(tmp_path, customers=1, seed=5, as_of=AS_OF)
    assert written.customers == 1
    assert written.orders >= 1
    assert ",".join(_read(written.shop_orders).columns) == SHOPIFY_HEADER_LINE
    assert ",".join(_read(written.crm_contacts).columns) == CRM_HEADER_LINE
    assert ",".join(_read(written.sns_engagement).columns) == SNS_HEADER_LINE


def test_rejects_an_empty_customer_base(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="customers"):
        write_sample_exports(tmp_path, customers=0)

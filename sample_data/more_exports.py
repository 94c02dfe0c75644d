"""Sample exports for every other format Dangol reads, beside the base Shopify/CRM/SNS ones.

The people are the base CRM contacts (crm/contacts.csv, written first by `write_sample_exports`
with shop/orders_export_1.csv), so the same customers show up across shops and channels the way
they do for a real brand. Each file is written the way its tool writes it: Cafe24 as CP949 CSV
(Korean Excel) and as XLSX, SmartStore as XLSX, the rest as UTF-8 CSV. A `dirt_rate` share of
rows carries the usual mess (other date and money spellings, phones without dashes or with +82,
stray spaces and capitals in emails) and a tenth of that share is a broken line, which ingestion
rejects row by row without losing the file.

Membership has a deliberate effect here (MEMBER_PURCHASE_MULTIPLE), so the demo's
membership_effect mart has a known answer: members' extra Shopify orders after joining are a
second orders export, each copying the buyer columns of one of the member's own orders.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl

from sample_data.base_exports import (
    _CATALOGUE,
    AD_CAMPAIGN,
    AD_CHANNELS,
    FREE_SHIPPING_FROM,
    SEOUL,
    SHIPPING_FEE,
    SHOPIFY_ORDER_COLUMNS,
)

CAFE24_STATUSES = ("배송완료", "배송중", "입금전", "취소", "반품완료")
CAFE24_STATUS_SHARE = (0.82, 0.08, 0.03, 0.04, 0.03)
SMARTSTORE_STATUSES = ("구매확정", "배송완료", "결제대기", "취소", "반품")
MEMBERSHIPS = ("site", "naver_band", "kakao_channel", "community")
CAMPAIGN_FUNNEL = ("sent", "delivered", "opened", "clicked")
# The demo's membership effect: from the day they join, members place this many times as many
# Shopify orders as they would have (the extra ones are shop/orders_export_2.csv).
MEMBER_PURCHASE_MULTIPLE = 1.5
# The Shopify columns that say who bought and where it went: an extra order copies them from the
# member's own order, so it resolves to the same customer.
_SHOPIFY_BUYER_COLUMNS = (
    "Email",
    "Accepts Marketing",
    "Phone",
    *(c for c in SHOPIFY_ORDER_COLUMNS if c.startswith(("Billing ", "Shipping "))),
)


@dataclass(frozen=True)
class ChannelExports:
    files: dict[str, Path]
    rows: dict[str, int]


def write_channel_exports(
    out_dir: Path,
    seed: int = 7,
    as_of: dt.date | None = None,
    dirt_rate: float = 0.02,
) -> ChannelExports:
    if not 0 <= dirt_rate <= 0.5:
        raise ValueError(f"dirt_rate must be between 0 and 0.5, got {dirt_rate}")
    out_dir = Path(out_dir)
    as_of = as_of or dt.datetime.now(SEOUL).date()
    contacts_path = out_dir / "crm" / "contacts.csv"
    with contacts_path.open(encoding="utf-8", newline="") as handle:
        contacts = list(csv.DictReader(handle))
    if not contacts:
        raise ValueError(f"{contacts_path} has no contacts to build the other exports from")
    rng = np.random.default_rng([seed, 2])
    writer = _Writer(out_dir, rng, dirt_rate, as_of)
    writer.cafe24(contacts)
    writer.smartstore(contacts)
    writer.shopify_customers(contacts)
    joins = writer.membership_events(contacts)
    # A stream of its own, so adding the effect left every other file as it was.
    _Writer(out_dir, np.random.default_rng([seed, 4]), 0, as_of).member_orders(joins, writer)
    writer.campaign_events(contacts)
    writer.coupons(contacts)
    writer.referrals(contacts)
    writer.channel_stats()
    return ChannelExports(files=writer.files, rows=writer.rows)


class _Writer:
    def __init__(self, out_dir: Path, rng: np.random.Generator, dirt_rate: float, as_of):
        self.out_dir, self.rng, self.dirt_rate, self.as_of = out_dir, rng, dirt_rate, as_of
        self.end = dt.datetime.combine(as_of, dt.time(23, 0))
        self.files: dict[str, Path] = {}
        self.rows: dict[str, int] = {}

    # --- what every file shares -------------------------------------------------------------

    def moments(self, n: int, days: int = 365) -> list[dt.datetime]:
        seconds = np.sort(self.rng.integers(0, days * 86_400, n))[::-1]
        return [self.end - dt.timedelta(seconds=int(s)) for s in seconds]

    def joins_after_signup(self, members: list[dict]) -> list[dt.datetime]:
        """Most join within weeks of signing up, which for buyers is their first (experience)
        purchase: the membership invitation the playbook sends after it. The rest join at any
        time in the last year, whatever they bought."""
        moments = self.moments(len(members))
        for i, member in enumerate(members):
            signed_up = dt.datetime.fromisoformat(member["Created At"])
            joined = signed_up + dt.timedelta(hours=int(self.rng.gamma(1.5, 14 * 24)))
            if self.rng.random() < 0.7 and joined <= self.end:
                moments[i] = joined
        return moments

    def dirty(self, n: int) -> np.ndarray:
        return self.rng.random(n) < self.dirt_rate

    def when(self, moment: dt.datetime, dirty: bool) -> str:
        if not dirty:
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        half = "오후" if moment.hour >= 12 else "오전"
        hour = moment.hour % 12 or 12
        return [
            f"{moment.year}. {moment.month}. {moment.day}. {half} {hour}:{moment:%M:%S}",
            moment.strftime("%Y/%m/%d %H:%M"),
            f"{(moment - dt.datetime(1899, 12, 30)).total_seconds() / 86_400:.6f}",
        ][int(self.rng.integers(0, 3))]

    def won(self, amount: int, dirty: bool, sign: str = "₩") -> str:
        if not dirty:
            return f"{amount:,}"
        return [f"{sign}{amount:,}", f"{amount:,}원", str(amount)][int(self.rng.integers(0, 3))]

    def phone(self, phone: str, dirty: bool) -> str:
        if not dirty:
            return phone
        return [phone.replace("-", ""), "+82 " + phone[1:], phone.replace("-", " ")][
            int(self.rng.integers(0, 3))
        ]

    def email(self, email: str, dirty: bool) -> str:
        return f" {email.upper()}" if dirty and email else email

    def write_csv(self, key: str, relative: str, header, rows, encoding: str = "utf-8") -> None:
        broken = self.rng.random(len(rows)) < self.dirt_rate / 10
        text = io.StringIO()
        out = csv.writer(text, lineterminator="\r\n" if encoding == "cp949" else "\n")
        out.writerow(header)
        for row, is_broken in zip(rows, broken, strict=True):
            # A cell pasted into the wrong place: one field too many.
            out.writerow([*row, "?"] if is_broken else row)
        self._write(key, relative, text.getvalue().encode(encoding), len(rows))

    def write_xlsx(self, key: str, relative: str, header, rows) -> None:
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("Sheet1")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        data = io.BytesIO()
        workbook.save(data)
        self._write(key, relative, data.getvalue(), len(rows))

    def _write(self, key: str, relative: str, data: bytes, rows: int) -> None:
        path = self.out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # The landing folder is watched: appear whole, under the real name, or not at all.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)
        self.files[key], self.rows[key] = path, rows

    def pick_contacts(self, contacts, share: float) -> list[dict]:
        n = max(1, round(share * len(contacts)))
        return [contacts[i] for i in self.rng.choice(len(contacts), n)]

    def basket(self) -> list[tuple[str, int, int]]:
        return [(_CATALOGUE[p].name, q, _CATALOGUE[p].price) for p, q in self.basket_lines()]

    def basket_lines(self) -> list[tuple[int, int]]:
        """(catalogue index, quantity) per line of one order of the usual size."""
        lines = int(self.rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
        products = self.rng.choice(len(_CATALOGUE), lines, replace=False)
        return [(int(p), int(self.rng.choice([1, 2, 3], p=[0.8, 0.15, 0.05]))) for p in products]

    # --- the files --------------------------------------------------------------------------

    def cafe24(self, contacts) -> None:
        header = ["주문번호", "주문일시", "주문자명", "주문자 휴대전화", "주문자 이메일", "상품명",
                  "수량", "상품구매금액", "총 할인금액", "총 결제금액", "주문상태"]  # fmt: skip
        buyers = self.pick_contacts(contacts, 0.3)
        rows = []
        for n, (buyer, moment) in enumerate(zip(buyers, self.moments(len(buyers)), strict=True)):
            items = self.basket()
            merchandise = sum(q * p for _, q, p in items)
            shipping = 0 if merchandise >= 30_000 else 3_000
            status = self.rng.choice(len(CAFE24_STATUSES), p=CAFE24_STATUS_SHARE)
            dirty = bool(self.dirty(1)[0])
            for name, quantity, price in items:
                rows.append(
                    [f"{moment:%Y%m%d}-{n + 1:07d}", self.when(moment, dirty), buyer["Name"],
                     self.phone(buyer["Phone"], dirty), self.email(buyer["Email"], dirty), name,
                     str(quantity), self.won(quantity * price, dirty, "￦"), "0",
                     self.won(merchandise + shipping, dirty, "￦"), CAFE24_STATUSES[status]]
                )  # fmt: skip
        # Older orders come from a CSV saved by Korean Excel, recent ones from an .xlsx download.
        half = len(rows) // 2
        self.write_csv("cafe24_csv", "shop/cafe24_orders.csv", header, rows[half:], "cp949")
        typed = [[*r[:6], int(r[6]), *r[7:]] for r in rows[:half]]
        self.write_xlsx("cafe24_xlsx", "shop/cafe24_orders.xlsx", header, typed)

    def smartstore(self, contacts) -> None:
        header = ["상품주문번호", "주문번호", "주문일시", "구매자명", "구매자ID", "구매자연락처",
                  "결제일", "상품명", "수량", "최종 상품별 총 주문금액", "주문상태",
                  "클레임상태"]  # fmt: skip
        buyers = self.pick_contacts(contacts, 0.25)
        rows = []
        for n, (buyer, moment) in enumerate(zip(buyers, self.moments(len(buyers)), strict=True)):
            order_no = f"{moment:%Y%m%d}{n + 1:08d}"
            status = self.rng.choice(5, p=[0.6, 0.25, 0.05, 0.05, 0.05])
            for line, (name, quantity, price) in enumerate(self.basket(), start=1):
                paid = None if status == 2 else moment + dt.timedelta(minutes=1)
                rows.append(
                    [f"{order_no}{line:02d}", order_no, moment, buyer["Name"],
                     buyer["Email"].split("@")[0][:4] + "****", buyer["Phone"], paid, name,
                     quantity, quantity * price, SMARTSTORE_STATUSES[status],
                     "반품완료" if status == 4 else None]
                )  # fmt: skip
        self.write_xlsx("smartstore", "shop/smartstore_orders.xlsx", header, rows)

    def shopify_customers(self, contacts) -> None:
        header = ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
                  "Default Address Phone", "Phone", "Accepts SMS Marketing", "Total Spent",
                  "Total Orders", "Tags"]  # fmt: skip
        rows = [
            [str(7_100_000_000_000 + i), c["Name"][1:], c["Name"][:1], c["Email"],
             "yes" if c["Email Consent"] == "Y" else "no", "", c["Phone"],
             "yes" if c["SMS Consent"] == "Y" else "no", "0.00", "0", ""]
            for i, c in enumerate(contacts[: len(contacts) // 2], start=1)
        ]  # fmt: skip
        self.write_csv("shopify_customers", "shop/customers_export.csv", header, rows)

    def membership_events(self, contacts) -> dict[str, dt.datetime]:
        """Write the events and say when each member (by Contact ID) first joined."""
        header = ["Member ID", "Membership", "Event Type", "Occurred At", "Contact ID", "Phone",
                  "Tier", "Previous Tier"]  # fmt: skip
        members = self.pick_contacts(contacts, 0.2)
        dirty = self.dirty(len(members))
        rows = []
        joins: dict[str, dt.datetime] = {}
        for member, moment, is_dirty in zip(
            members, self.joins_after_signup(members), dirty, strict=True
        ):
            contact_id = member["Contact ID"]
            joins[contact_id] = min(moment, joins.get(contact_id, moment))
            membership = MEMBERSHIPS[int(self.rng.choice(4, p=[0.4, 0.25, 0.3, 0.05]))]
            member_id = f"{membership[:2].upper()}-{member['Contact ID']}"
            common = [member_id, membership]
            rows.append([*common, "join", self.when(moment, is_dirty), member["Contact ID"],
                         self.phone(member["Phone"], is_dirty), "basic", ""])  # fmt: skip
            later = moment + dt.timedelta(days=int(self.rng.integers(10, 120)))
            roll = self.rng.random()
            if later <= self.end and roll < 0.2:
                rows.append([*common, "tier_change", self.when(later, False),
                             member["Contact ID"], member["Phone"], "vip", "basic"])  # fmt: skip
            elif later <= self.end and roll < 0.3:
                rows.append([*common, "leave", self.when(later, False), member["Contact ID"],
                             member["Phone"], "", ""])  # fmt: skip
        self.write_csv("membership_events", "crm/membership_events.csv", header, rows)
        return joins

    def member_orders(self, joins: dict[str, dt.datetime], report: _Writer) -> None:
        """For each Shopify order a member placed after first joining, MEMBER_PURCHASE_MULTIPLE
        - 1 extra orders on average, each at a moment between the member's previous order (or
        the join) and that one: the deliberate membership effect the demo's marts should find."""
        contacts_path = self.out_dir / "crm" / "contacts.csv"
        with contacts_path.open(encoding="utf-8", newline="") as handle:
            member_of_phone = {
                _digits(c["Phone"]): c["Contact ID"]
                for c in csv.DictReader(handle)
                if c["Contact ID"] in joins
            }
        shop_orders = self.out_dir / "shop" / "orders_export_1.csv"
        with shop_orders.open(encoding="utf-8", newline="") as handle:
            # An order's first row carries its Id, its buyer and their billing phone.
            orders = [row for row in csv.DictReader(handle) if row["Id"]]
        last_id = max(int(order["Id"]) for order in orders)
        # Nothing before the export's first order: a join may predate the history it shows.
        previous = dict.fromkeys(joins, _created(orders[0]))
        extras: list[tuple[dt.datetime, dict]] = []
        for order in orders:  # oldest first, as the export lists them
            member = member_of_phone.get(_digits(order["Billing Phone"]))
            if member is None:
                continue
            created, since = _created(order), max(joins[member], previous[member])
            previous[member] = created
            if created < joins[member]:
                continue
            for _ in range(self.rng.poisson(MEMBER_PURCHASE_MULTIPLE - 1)):
                moment = since + (created - since) * float(self.rng.random())
                extras.append((moment.replace(microsecond=0), order))
        extras.sort(key=lambda extra: extra[0])
        ids = last_id + np.cumsum(self.rng.integers(1, 2_000, len(extras)))
        rows = []
        for n, ((moment, order), order_id) in enumerate(zip(extras, ids, strict=True)):
            rows += self.shopify_order(f"#{1001 + len(orders) + n}", int(order_id), moment, order)
        text = io.StringIO()
        out = csv.writer(text, lineterminator="\n")
        out.writerow(SHOPIFY_ORDER_COLUMNS)
        out.writerows(rows)
        report._write(
            "member_orders", "shop/orders_export_2.csv", text.getvalue().encode(), len(rows)
        )

    def shopify_order(self, name: str, order_id: int, moment: dt.datetime, like: dict) -> list:
        """One paid order's rows in the Shopify export layout, bought by `like`'s buyer."""
        lines = self.basket_lines()
        merchandise = sum(_CATALOGUE[p].price * q for p, q in lines)
        shipping = 0 if merchandise >= FREE_SHIPPING_FROM else SHIPPING_FEE
        fulfilled_at = moment + dt.timedelta(hours=int(self.rng.integers(18, 48)))
        fulfilled = fulfilled_at <= self.end
        reference = f"c{order_id}.1"
        order = {
            **{column: like[column] for column in _SHOPIFY_BUYER_COLUMNS},
            "Financial Status": "paid",
            "Paid at": _shopify_time(moment + dt.timedelta(minutes=2)),
            "Fulfillment Status": "fulfilled" if fulfilled else "unfulfilled",
            "Fulfilled at": _shopify_time(fulfilled_at) if fulfilled else "",
            "Currency": "KRW",
            "Subtotal": f"{merchandise}.00",
            "Shipping": f"{shipping}.00",
            "Taxes": "0.00",
            "Total": f"{merchandise + shipping}.00",
            "Discount Amount": "0.00",
            "Shipping Method": "무료배송 (CJ대한통운)"
            if shipping == 0
            else "기본배송 (CJ대한통운)",
            "Created at": _shopify_time(moment),
            "Payment Method": "Kakao Pay",
            "Payment Reference": reference,
            "Refunded Amount": "0.00",
            "Outstanding Balance": "0.00",
            "Id": str(order_id),
            "Risk Level": "Low",
            "Source": "web",
            "Payment ID": reference,
            "Payment References": reference,
        }
        rows = []
        for line_no, (product, quantity) in enumerate(lines):
            item = _CATALOGUE[product]
            line = {
                "Name": name,
                "Email": like["Email"],
                "Lineitem quantity": str(quantity),
                "Lineitem name": item.name,
                "Lineitem price": f"{item.price}.00",
                "Lineitem compare at price": f"{item.compare_at}.00" if item.compare_at else "",
                "Lineitem sku": f"DG-{product + 1:04d}",
                "Lineitem requires shipping": "true",
                "Lineitem taxable": "true" if item.taxable else "false",
                "Lineitem fulfillment status": "fulfilled" if fulfilled else "pending",
                "Vendor": "Dangol Foods",
                "Lineitem discount": "0.00",
            }
            if line_no == 0:
                line = {**order, **line}
            rows.append([line.get(column, "") for column in SHOPIFY_ORDER_COLUMNS])
        return rows

    def campaign_events(self, contacts) -> None:
        header = ["Campaign ID", "Campaign Name", "Channel", "Message ID", "Contact ID", "Email",
                  "Phone", "Event Type", "Occurred At"]  # fmt: skip
        rows = []
        campaigns = [("CMP-SPRING", "봄 신제품 안내", "email"), ("CMP-WEEKEND", "주말 특가", "sms"),
                     ("CMP-KAKAO", "단골 쿠폰", "kakao")]  # fmt: skip
        for campaign_id, name, channel in campaigns:
            consent = {"email": "Email Consent", "sms": "SMS Consent", "kakao": "Kakao Consent"}
            audience = [c for c in contacts if c[consent[channel]] == "Y"]
            sent_at = self.end - dt.timedelta(days=int(self.rng.integers(1, 60)), hours=10)
            for n, contact in enumerate(audience, start=1):
                reach = int(self.rng.choice(4, p=[0.05, 0.5, 0.3, 0.15]))
                bounced = channel == "email" and self.rng.random() < 0.02
                stages = ["sent", "bounced"] if bounced else list(CAMPAIGN_FUNNEL[: reach + 1])
                if not bounced and self.rng.random() < 0.01:
                    stages.append("unsubscribed")
                for step, event in enumerate(stages):
                    at = sent_at + dt.timedelta(minutes=step * int(self.rng.integers(1, 240)))
                    rows.append([campaign_id, name, channel, f"{campaign_id}-{n}",
                                 contact["Contact ID"], contact["Email"], contact["Phone"], event,
                                 self.when(at, False)])  # fmt: skip
        self.write_csv("campaign_events", "crm/campaign_events.csv", header, rows)

    def coupons(self, contacts) -> None:
        header = ["Coupon Code", "Coupon Name", "Contact ID", "Discount Amount", "Issued At",
                  "Expires At", "Redeemed At"]  # fmt: skip
        holders = self.pick_contacts(contacts, 0.3)
        dirty = self.dirty(len(holders))
        rows = []
        for n, (holder, issued, is_dirty) in enumerate(
            zip(holders, self.moments(len(holders)), dirty, strict=True), start=1
        ):
            redeemed = issued + dt.timedelta(days=int(self.rng.integers(1, 30)))
            used = redeemed <= self.end and self.rng.random() < 0.35
            rows.append([f"DG-{n:06d}", "단골 3천원 쿠폰", holder["Contact ID"],
                         self.won(3_000, is_dirty), self.when(issued, is_dirty),
                         self.when(issued + dt.timedelta(days=30), False),
                         self.when(redeemed, False) if used else ""])  # fmt: skip
        self.write_csv("coupons", "crm/coupons.csv", header, rows)

    def referrals(self, contacts) -> None:
        header = ["Referrer", "Referred", "Code", "Referred At", "Platform", "Reward"]
        with_handle = [c for c in contacts if c["Instagram Handle"]] or contacts[:1]
        referrers = self.pick_contacts(with_handle, 0.2)
        rows = [
            [r["Instagram Handle"] or "@" + r["Contact ID"].lower(),
             f"@friend_{n:05d}", "REF-" + r["Contact ID"], self.when(at, False), "instagram",
             self.won(5_000, False)]
            for n, (r, at) in enumerate(zip(referrers, self.moments(len(referrers)), strict=True))
        ]  # fmt: skip
        self.write_csv("referrals", "sns/referrals.csv", header, rows)

    def channel_stats(self) -> None:
        header = ["Date", "Channel", "Campaign", "Impressions", "Clicks", "Cost", "Sessions",
                  "Add To Carts", "Purchases", "Revenue", "Currency"]  # fmt: skip
        rows = []
        for days_ago in range(90, 0, -1):
            day = self.as_of - dt.timedelta(days=days_ago - 1)
            for channel in AD_CHANNELS:
                # Sized to the demo shop, whose ad orders are a few a day across channels.
                impressions = int(self.rng.integers(200, 4_000))
                clicks = int(impressions * self.rng.uniform(0.005, 0.03))
                sessions = int(clicks * self.rng.uniform(0.85, 0.98))
                carts = int(sessions * self.rng.uniform(0.05, 0.15))
                purchases = int(carts * self.rng.uniform(0.2, 0.5))
                dirty = bool(self.dirty(1)[0])
                rows.append([day.isoformat(), channel, AD_CAMPAIGN, f"{impressions:,}",
                             str(clicks), self.won(clicks * 400, dirty), str(sessions),
                             str(carts), str(purchases), self.won(purchases * 21_000, dirty),
                             "KRW"])  # fmt: skip
        self.write_csv("channel_daily_stats", "sns/channel_daily_stats.csv", header, rows)


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())[-10:]


def _created(order: dict) -> dt.datetime:
    created = dt.datetime.strptime(order["Created at"], "%Y-%m-%d %H:%M:%S %z")
    return created.replace(tzinfo=None)


def _shopify_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S +0900")

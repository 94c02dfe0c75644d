"""Sample export files for Dangol Foods, a fictional Korean snack-and-granola brand.

The three files look like what a brand actually hands over: a Shopify "Export orders" CSV, a CRM
contact list and an SNS engagement log. The customers behind them behave like real ones (most buy
once, a few buy constantly, holidays drive gift orders) and the files carry the usual dirt, so the
pipeline and its tests run against something believable instead of a tidy toy.

Everything is drawn from one seeded numpy generator and written by DuckDB with an explicit sort, so
the same (customers, seed, as_of) gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Seoul has had no daylight saving time since 1988, so a fixed offset is exact and spares us a
# dependency on the tz database being installed.
SEOUL = dt.timezone(dt.timedelta(hours=9))

SHOPIFY_ORDER_COLUMNS: tuple[str, ...] = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level",
    "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value",
    "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value",
    "Phone", "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name",
    "Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
    "Landing Site", "Referring Site",
)  # fmt: skip

# Shopify repeats these on every line-item row of an order; every other column is filled on the
# order's first row only.
SHOPIFY_LINE_COLUMNS: frozenset[str] = frozenset(
    {
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
)

CRM_CONTACT_COLUMNS: tuple[str, ...] = (
    "Contact ID", "Name", "Email", "Phone", "Email Consent", "Email Consent Date", "SMS Consent",
    "SMS Consent Date", "Kakao Consent", "Kakao Consent Date", "Night Consent",
    "Instagram Handle", "Created At", "Updated At",
)  # fmt: skip

SNS_ENGAGEMENT_COLUMNS: tuple[str, ...] = (
    "Platform", "Handle", "Event Type", "Post ID", "Occurred At", "Rating",
)  # fmt: skip

# Ad channels as the daily ad stats name them; tagged ads land with utm_source set to one.
AD_CHANNELS = ("naver_search", "instagram_ads", "kakao_moment", "google_ads")
AD_CAMPAIGN = "상시 캠페인"
# Visits from a link without UTM tags: only the referring site tells where they came from.
_REFERRERS = (
    "https://www.instagram.com/",
    "https://blog.naver.com/",
    "https://m.search.naver.com/",
)

FINANCIAL_STATUSES = ("paid", "pending", "partially_refunded", "refunded", "voided")
PAID, PENDING, PARTIALLY_REFUNDED, REFUNDED, VOIDED = range(5)


@dataclass(frozen=True)
class SampleExports:
    """Where the exports were written and how much is in them.

    `customers` counts people with at least one order; `contacts` also includes CRM-only leads.
    """

    shop_orders: Path
    crm_contacts: Path
    sns_engagement: Path
    orders: int
    order_lines: int
    customers: int
    contacts: int
    engagement_events: int


@dataclass(frozen=True)
class _Product:
    name: str
    price: int
    popularity: float
    # "trial" products are what first orders favour; "gift" sets sell in the weeks before holidays.
    role: str = "staple"
    compare_at: int | None = None
    taxable: bool = True


_CATALOGUE = (
    _Product("체험 세트 (Trial Kit)", 9_900, 0.6, role="trial", compare_at=15_900),
    _Product("첫 구매 미니 샘플러 (Starter Sampler)", 4_900, 0.3, role="trial"),
    _Product("시그니처 그래놀라 500g", 12_900, 12.0),
    _Product("시그니처 그래놀라 1kg", 23_900, 6.0, compare_at=25_800),
    _Product("저당 그래놀라 400g", 13_900, 7.0),
    _Product("카카오 그래놀라 500g", 13_500, 5.0),
    _Product("견과류 믹스 데일리 30봉", 29_800, 6.0, compare_at=35_000),
    _Product("하루견과 오리지널 10봉", 11_900, 8.0),
    _Product("프로틴 바 12개입", 19_800, 4.0),
    _Product("귀리 오트밀 1kg", 9_800, 5.0),
    _Product("그릭요거트 파우더 300g", 15_900, 2.5),
    _Product("수제 잼 딸기 250g", 8_900, 3.0),
    _Product("수제 잼 블루베리 250g", 9_400, 2.5),
    _Product("땅콩버터 크런치 340g", 11_500, 3.5),
    _Product("아몬드버터 340g", 14_800, 2.5),
    _Product("유기농 꿀 500g", 21_000, 2.0, taxable=False),
    _Product("보리차 티백 50개입", 6_900, 3.0),
    _Product("현미 누룽지 500g", 7_900, 3.0),
    _Product("쌀과자 오리지널 12봉", 8_500, 3.0),
    _Product("김부각 스낵 100g", 5_900, 3.5),
    _Product("곡물 시리얼 바 10개입", 9_900, 3.0),
    _Product("콜드브루 원액 500ml", 16_900, 2.0),
    _Product("말린 과일 믹스 300g", 10_900, 2.5),
    _Product("건망고 200g", 8_800, 2.5, compare_at=9_900),
    _Product("단호박 칩 150g", 6_500, 2.0),
    _Product("두유 24팩", 18_900, 2.5),
    _Product("오트밀크 1L x 6", 22_800, 2.0),
    _Product("무설탕 초콜릿 바 5개입", 12_500, 2.0),
    _Product("흑임자 스프레드 250g", 13_200, 1.5),
    _Product("미숫가루 1kg", 15_400, 1.5),
    _Product("제철 과일 박스 (Seasonal Fruit Box)", 34_900, 1.5, taxable=False),
    _Product("명절 선물세트 A (Holiday Gift Set A)", 49_000, 0.3, role="gift"),
    _Product("명절 선물세트 B (Holiday Gift Set B)", 79_000, 0.2, role="gift", compare_at=89_000),
    _Product("프리미엄 견과 선물세트", 59_000, 0.3, role="gift"),
    _Product("그래놀라 정기배송 4주 (Subscription 4 Weeks)", 45_900, 1.0),
    _Product("단골 에코백 (Eco Bag)", 12_000, 0.8),
    _Product("단골 텀블러 450ml", 18_000, 0.6, compare_at=22_000),
    # A comma and a quote in product names make sure every reader copes with RFC-4180 quoting.
    _Product("견과류 믹스, 대용량 1kg", 32_900, 2.0),
    _Product("아침 한 끼 세트 (Breakfast Bundle)", 27_900, 2.0),
    _Product('키즈 그래놀라 "별" 300g', 9_600, 1.5),
)

_SURNAMES = (
    ("김", "kim", 21.5), ("이", "lee", 14.7), ("박", "park", 8.4), ("최", "choi", 4.7),
    ("정", "jung", 4.3), ("강", "kang", 2.3), ("조", "cho", 2.1), ("윤", "yoon", 2.0),
    ("장", "jang", 2.0), ("임", "lim", 1.6), ("한", "han", 1.5), ("오", "oh", 1.5),
    ("서", "seo", 1.4), ("신", "shin", 1.4), ("권", "kwon", 1.4), ("황", "hwang", 1.4),
    ("안", "ahn", 1.3), ("송", "song", 1.3), ("류", "ryu", 1.1), ("전", "jeon", 1.1),
    ("홍", "hong", 1.0), ("고", "ko", 0.9), ("문", "moon", 0.9), ("양", "yang", 0.9),
    ("손", "son", 0.9), ("배", "bae", 0.8), ("백", "baek", 0.8), ("허", "heo", 0.6),
    ("유", "yu", 0.6), ("남", "nam", 0.5),
)  # fmt: skip

_GIVEN_NAMES = (
    ("민준", "minjun"), ("서연", "seoyeon"), ("지우", "jiwoo"), ("서준", "seojun"),
    ("하은", "haeun"), ("도윤", "doyun"), ("지호", "jiho"), ("수아", "sua"), ("예준", "yejun"),
    ("지유", "jiyu"), ("시우", "siwoo"), ("하윤", "hayoon"), ("주원", "juwon"),
    ("서윤", "seoyun"), ("하준", "hajun"), ("지민", "jimin"), ("은우", "eunwoo"),
    ("채원", "chaewon"), ("건우", "geonwoo"), ("민서", "minseo"), ("현우", "hyunwoo"),
    ("지아", "jia"), ("유진", "yujin"), ("수빈", "subin"), ("예린", "yerin"), ("다은", "daeun"),
    ("준서", "junseo"), ("윤서", "yunseo"), ("태윤", "taeyoon"), ("서아", "seoa"),
    ("지훈", "jihoon"), ("영희", "younghee"), ("철수", "cheolsu"), ("미경", "mikyung"),
    ("정훈", "junghoon"), ("은지", "eunji"), ("성민", "sungmin"), ("혜진", "hyejin"),
    ("동현", "donghyun"), ("수진", "sujin"),
)  # fmt: skip

# Only reserved example domains (RFC 2606), so no generated address can ever reach a real inbox.
_EMAIL_DOMAINS = (("example.com", 0.5), ("example.net", 0.3), ("example.org", 0.2))

# (ISO 3166-2 code as Shopify exports it, province name, first two zip digits lo..hi,
#  share of population, cities)
_PROVINCES = (
    ("KR-11", "Seoul", 1, 8, 18.6, ("Seoul",)),
    ("KR-41", "Gyeonggi-do", 10, 18, 26.5,
     ("Suwon", "Seongnam", "Goyang", "Yongin", "Bucheon", "Hwaseong")),
    ("KR-26", "Busan", 46, 49, 6.5, ("Busan",)),
    ("KR-28", "Incheon", 21, 23, 5.8, ("Incheon",)),
    ("KR-27", "Daegu", 41, 43, 4.6, ("Daegu",)),
    ("KR-48", "Gyeongsangnam-do", 50, 53, 6.3, ("Changwon", "Gimhae", "Jinju")),
    ("KR-47", "Gyeongsangbuk-do", 36, 40, 5.0, ("Pohang", "Gumi", "Gyeongju")),
    ("KR-44", "Chungcheongnam-do", 31, 33, 4.2, ("Cheonan", "Asan")),
    ("KR-45", "Jeollabuk-do", 54, 56, 3.4, ("Jeonju", "Iksan")),
    ("KR-46", "Jeollanam-do", 57, 60, 3.5, ("Suncheon", "Yeosu", "Mokpo")),
    ("KR-43", "Chungcheongbuk-do", 27, 29, 3.1, ("Cheongju", "Chungju")),
    ("KR-42", "Gangwon-do", 24, 26, 3.0, ("Chuncheon", "Wonju", "Gangneung")),
    ("KR-30", "Daejeon", 34, 35, 2.8, ("Daejeon",)),
    ("KR-29", "Gwangju", 61, 62, 2.8, ("Gwangju",)),
    ("KR-31", "Ulsan", 44, 45, 2.1, ("Ulsan",)),
    ("KR-49", "Jeju-do", 63, 63, 1.3, ("Jeju", "Seogwipo")),
    ("KR-50", "Sejong", 30, 30, 0.7, ("Sejong",)),
)  # fmt: skip

_ROADS = (
    "테헤란로", "세종대로", "올림픽로", "중앙로", "번영로", "시청로", "대학로", "해운대로",
    "광교중앙로", "판교역로", "동탄대로", "월드컵로", "한강대로", "충장로", "달구벌대로",
    "수성로", "구월로", "둔산로", "연삼로", "한림로",
)  # fmt: skip

# None of these may equal a romanised given name: that keeps strangers' handles disjoint from
# contacts' handles without a lookup.
_HANDLE_WORDS = (
    "eats", "foodie", "daily", "table", "kitchen", "home", "cook", "bakes", "log", "diary",
    "brunch", "snack", "cafe", "hungry", "yum", "plate", "bite", "munch", "spoon", "picnic",
)  # fmt: skip

_DELIVERY_NOTES = (
    "부재 시 경비실에 맡겨주세요",
    "문 앞에 놓아주세요, 벨은 누르지 말아주세요",
    "선물 포장 부탁드립니다",
    '"빠른 배송" 부탁드려요',
    "공동현관 비밀번호 #1234",
)
_GIFT_MESSAGES = ("gift_message: 명절 잘 보내세요", "gift_message: 늘 고마워요, 건강하세요")
_TAGS = (None, "VIP", "gift, 명절선물", "VIP, gift, 명절선물")
_PAYMENT_METHODS = ("Toss Payments", "KG Inicis", "Naver Pay", "Kakao Pay", "Bank Deposit")
_SOURCES = ("web", "iphone", "android", "shopify_draft_order")
_RISK_LEVELS = ("Low", "Medium", "High")
_DISCOUNT_CODES = ("WELCOME10", "HOLIDAY15", "VIP20", "INSTA5000", "APP3000")
# Percent off merchandise, or a fixed amount in won; never more than 20% either way.
_DISCOUNT_PERCENT = np.array([10, 15, 20, 0, 0])
_DISCOUNT_FIXED = np.array([0, 0, 0, 5_000, 3_000])

FREE_SHIPPING_FROM = 30_000
SHIPPING_FEE = 3_000

# Seollal and Chuseok move with the lunar calendar; outside this table we fall back to typical
# dates, which is close enough for a demand bump.
_LUNAR_HOLIDAYS = {
    2018: ("2018-02-16", "2018-09-24"),
    2019: ("2019-02-05", "2019-09-13"),
    2020: ("2020-01-25", "2020-10-01"),
    2021: ("2021-02-12", "2021-09-21"),
    2022: ("2022-02-01", "2022-09-10"),
    2023: ("2023-01-22", "2023-09-29"),
    2024: ("2024-02-10", "2024-09-17"),
    2025: ("2025-01-29", "2025-10-06"),
    2026: ("2026-02-17", "2026-09-25"),
    2027: ("2027-02-07", "2027-09-15"),
    2028: ("2028-01-27", "2028-10-03"),
    2029: ("2029-02-13", "2029-09-22"),
    2030: ("2030-02-03", "2030-09-12"),
}

# Orders by hour of day in Seoul: a lunch bump and a late-evening peak on the sofa.
_ORDER_HOURS = np.array(
    [2.0, 1.2, 0.7, 0.4, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4.5, 5.0,
     5.5, 5.0, 4.5, 4.3, 4.2, 4.2, 4.5, 5.0, 6.0, 6.5, 6.0, 4.0]
)  # fmt: skip
_SNS_HOURS = np.array(
    [3.0, 2.0, 1.0, 0.5, 0.3, 0.3, 0.8, 2.0, 3.0, 3.0, 3.0, 3.5,
     4.5, 4.0, 3.0, 3.0, 3.0, 3.5, 4.5, 5.5, 6.5, 7.0, 6.5, 5.0]
)  # fmt: skip

ONE_TIME, REGULAR, HEAVY = range(3)
_ORDERS_PER_SLICE = 200_000
DAY = 86_400


def write_sample_exports(
    out_dir: Path,
    customers: int = 2_000,
    seed: int = 7,
    as_of: dt.date | None = None,
) -> SampleExports:
    """Write the shop, CRM and SNS sample exports under out_dir and say what was written.

    `customers` counts people who placed at least one order; the CRM adds non-buying leads on
    top. `as_of` is the last day of the two-year history and defaults to today in Seoul.
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    if as_of is None:
        as_of = dt.datetime.now(SEOUL).date()
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    calendar = _Calendar.ending(as_of)

    buyers, orders = _draw_purchases(rng, customers, calendar)
    people = _draw_people(rng, customers + round(0.15 * customers))
    contacts = _draw_contacts(rng, buyers, people, calendar)
    lines = _draw_lines(rng, orders)
    _settle_money(rng, orders, buyers, calendar)
    orders["accepts_marketing"] = _accepts_marketing(rng, buyers, contacts, orders)
    # A stream of its own, so adding attribution left every other drawn value as it was.
    orders.update(_draw_attribution(np.random.default_rng([seed, 3]), len(orders["customer"])))
    events = _draw_engagement(rng, contacts, people, calendar)

    paths = SampleExports(
        shop_orders=out_dir / "shop" / "orders_export_1.csv",
        crm_contacts=out_dir / "crm" / "contacts.csv",
        sns_engagement=out_dir / "sns" / "engagement_events.csv",
        orders=len(orders["customer"]),
        order_lines=len(lines["order_no"]),
        customers=customers,
        contacts=len(contacts["person"]),
        engagement_events=len(events["occurred_at"]),
    )
    for path in (paths.shop_orders, paths.crm_contacts, paths.sns_engagement):
        path.parent.mkdir(parents=True, exist_ok=True)

    people_table = _people_table(people)
    with duckdb.connect() as con:
        con.register("people", people_table)
        con.register("products", _products_table())
        con.register("contacts", _contacts_table(contacts))
        con.register("events", _events_table(events))
        _copy_shop_orders(
            con, paths.shop_orders, people_table, _orders_table(orders), pa.table(lines)
        )
        _copy_csv(con, _crm_contacts_query(), paths.crm_contacts)
        _copy_csv(con, _sns_engagement_query(), paths.sns_engagement)
    return paths


@dataclass(frozen=True)
class _Calendar:
    """The two-year history window in Seoul wall-clock seconds since 1970-01-01."""

    first_day: dt.date
    days: int
    start: int
    end: int  # last second of as_of
    demand: np.ndarray  # relative order volume per day
    gift_season: np.ndarray  # per day: the weeks when people send holiday gift sets

    @classmethod
    def ending(cls, as_of: dt.date) -> _Calendar:
        try:
            first_day = as_of.replace(year=as_of.year - 2) + dt.timedelta(days=1)
        except ValueError:  # as_of is 29 February
            first_day = dt.date(as_of.year - 2, 3, 1)
        days = (as_of - first_day).days + 1
        start = (first_day - dt.date(1970, 1, 1)).days * DAY
        dates = np.datetime64(first_day, "D") + np.arange(days)
        month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1

        demand = np.linspace(0.85, 1.15, days)  # the brand is growing
        demand[month == 11] *= 1.35
        demand[month == 12] *= 1.5
        gift_season = np.zeros(days, dtype=bool)
        for year in range(first_day.year, as_of.year + 1):
            seollal, chuseok = _LUNAR_HOLIDAYS.get(year, (f"{year}-02-01", f"{year}-09-20"))
            for holiday in (np.datetime64(seollal), np.datetime64(chuseok)):
                gift_season |= (dates >= holiday - 21) & (dates <= holiday - 3)
                # Couriers stop around the holiday itself.
                demand[(dates >= holiday - 2) & (dates <= holiday + 1)] *= 0.6
        demand[gift_season] *= 1.9
        return cls(first_day, days, start, start + days * DAY - 1, demand, gift_season)

    def times(self, rng: np.random.Generator, u: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """Map business time u in [0, 1) to wall-clock seconds, busy days getting more of it."""
        cdf = np.concatenate(([0.0], np.cumsum(self.demand)))
        cdf /= cdf[-1]
        day = np.minimum(
            np.interp(u, cdf, np.arange(self.days + 1)).astype(np.int64), self.days - 1
        )
        hour = rng.choice(24, len(u), p=hours / hours.sum())
        second = hour * 3600 + rng.integers(0, 3600, len(u))
        # Leave an hour after the last order so payment and cancellation still fall on as_of.
        second = np.where(day == self.days - 1, second * 23 // 24, second)
        return self.start + day * DAY + second

    def day_of(self, seconds: np.ndarray) -> np.ndarray:
        return (seconds - self.start) // DAY


def _draw_people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Everyone who can appear anywhere: buyers first (same index), then CRM-only leads."""
    surname_share = np.array([share for *_, share in _SURNAMES])
    province_share = np.array([p[4] for p in _PROVINCES])
    city_province = np.array([i for i, p in enumerate(_PROVINCES) for _ in p[5]])
    city_share = province_share[city_province] / np.bincount(city_province)[city_province]
    city = rng.choice(len(city_province), n, p=city_share / city_share.sum())
    province = city_province[city]
    zip_lo = np.array([p[2] for p in _PROVINCES])[province] * 1000
    zip_hi = np.array([p[3] + 1 for p in _PROVINCES])[province] * 1000
    return {
        "surname": rng.choice(len(_SURNAMES), n, p=surname_share / surname_share.sum()),
        "given": rng.integers(0, len(_GIVEN_NAMES), n),
        "email_pattern": rng.choice(3, n, p=[0.5, 0.3, 0.2]),
        # Unique per person, which makes every email and handle unique without a lookup.
        "email_number": rng.permutation(3 * n)[:n] + 1,
        "email_domain": rng.choice(len(_EMAIL_DOMAINS), n, p=[d[1] for d in _EMAIL_DOMAINS]),
        # Korean mobile numbers: 010 and a middle block that never starts with 0 or 1.
        "phone": rng.choice(80_000_000, n, replace=False) + 20_000_000,
        "city": city,
        "province": province,
        "zip": rng.integers(zip_lo, zip_hi),
        "road": rng.integers(0, len(_ROADS), n),
        "building": rng.integers(1, 351, n),
        "has_unit": rng.random(n) < 0.6,  # apartment dwellers give a 동/호
        "dong": rng.integers(101, 121, n),
        "unit": rng.integers(1, 26, n) * 100 + rng.integers(1, 7, n),
    }


def _draw_purchases(
    rng: np.random.Generator, n: int, calendar: _Calendar
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Buyers and their orders, in order of creation.

    Each buyer has a whole purchase history (a first purchase, a personal repurchase cycle, a
    lifetime number of orders) on a timeline that may start before the window; the export shows
    only the part inside it, like a real one. That keeps order volume steady across the window
    instead of piling up in the middle, and means some buyers' first purchase predates the file.
    """
    kinds, lifetimes, first_purchases, owners, positions, nths = [], [], [], [], [], []
    found = 0
    while found < n:
        m = (n - found) * 11 // 10 + 16
        kind = rng.choice(3, m, p=[0.54, 0.415, 0.045])
        lifetime = np.ones(m, dtype=np.int64)
        regular = kind == REGULAR
        lifetime[regular] = np.minimum(1 + rng.geometric(0.35, regular.sum()), 14)
        heavy = kind == HEAVY
        lifetime[heavy] = 12 + np.floor(49 * rng.beta(1.2, 2.5, heavy.sum())).astype(np.int64)
        # Regulars come back every couple of months, heavy buyers every few weeks.
        cycle_days = np.where(heavy, np.maximum(rng.lognormal(np.log(22), 0.35, m), 18), 0.0)
        cycle_days = np.where(regular, rng.lognormal(np.log(55), 0.45, m), cycle_days)

        owner = np.repeat(np.arange(m), lifetime)
        first_of = np.cumsum(lifetime) - lifetime
        nth = np.arange(len(owner)) - np.repeat(first_of, lifetime)
        gap = cycle_days[owner] / calendar.days * rng.gamma(6.0, 1 / 6, len(owner))
        since_first = np.cumsum(np.where(nth == 0, 0.0, gap))
        since_first -= np.repeat(since_first[first_of], lifetime)
        span = since_first[first_of + lifetime - 1]
        first_u = rng.random(m) * (1 + span) - span
        u = first_u[owner] + since_first
        inside = (u >= 0) & (u < 1)
        visible = np.bincount(owner[inside], minlength=m) > 0
        keep = np.flatnonzero(visible)[: n - found]
        if len(keep) == 0:
            continue
        inside &= owner <= keep[-1]
        renumber = found + np.cumsum(visible) - 1
        kinds.append(kind[keep])
        lifetimes.append(lifetime[keep])
        first_purchases.append(first_u[keep])
        owners.append(renumber[owner[inside]])
        positions.append(u[inside])
        nths.append(nth[inside])
        found += len(keep)

    first_u = np.concatenate(first_purchases)
    customer = np.concatenate(owners)
    created = calendar.times(rng, np.concatenate(positions), _ORDER_HOURS)
    nth = np.concatenate(nths)
    by_time = np.argsort(created, kind="stable")
    customer, created, nth = customer[by_time], created[by_time], nth[by_time]

    first_purchase = np.full(n, calendar.end)
    np.minimum.at(first_purchase, customer, created)
    before_window = first_u < 0
    first_purchase[before_window] = calendar.start + (
        first_u[before_window] * calendar.days * DAY
    ).astype(np.int64)
    kind = np.concatenate(kinds)
    buyers = {
        "kind": kind,
        "orders": np.bincount(customer, minlength=n),
        "lifetime_orders": np.concatenate(lifetimes),
        "first_purchase_at": first_purchase,
    }
    orders = {
        "customer": customer,
        "created_at": created,
        "is_first": nth == 0,
        "heavy": kind[customer] == HEAVY,
        "gift_season": calendar.gift_season[calendar.day_of(created)],
    }
    return buyers, orders


def _draw_lines(rng: np.random.Generator, orders: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Basket contents: one row per line item, in (order, line) order."""
    n_orders = len(orders["customer"])
    heavy = orders["heavy"]
    # Heavy buyers fill bigger baskets.
    line_count = _draw_by_row(rng, heavy, [0.55, 0.30, 0.10, 0.05], [0.30, 0.35, 0.20, 0.15]) + 1

    role = np.array([p.role for p in _CATALOGUE])
    popularity = np.array([p.popularity for p in _CATALOGUE])
    popularity /= popularity.sum()
    basket = rng.choice(len(_CATALOGUE), (n_orders, 4), p=popularity).astype(np.int16)
    trial = np.flatnonzero(role == "trial")
    gift = np.flatnonzero(role == "gift")
    try_first = orders["is_first"] & (rng.random(n_orders) < 0.5)
    basket[try_first, 0] = rng.choice(trial, try_first.sum(), p=[0.7, 0.3])
    sends_gift = orders["gift_season"] & (rng.random(n_orders) < 0.3)
    basket[sends_gift, 0] = rng.choice(gift, sends_gift.sum())
    # Shopify merges repeated products into one line, so every line of an order is distinct.
    for line in range(1, 4):
        clash = (line_count > line) & (basket[:, :line] == basket[:, line : line + 1]).any(1)
        while clash.any():
            basket[clash, line] = rng.choice(len(_CATALOGUE), clash.sum(), p=popularity)
            clash = (line_count > line) & (basket[:, :line] == basket[:, line : line + 1]).any(1)

    quantity = _draw_by_row(rng, np.repeat(heavy, 4), [0.78, 0.16, 0.06], [0.55, 0.30, 0.15]) + 1
    quantity = quantity.reshape(n_orders, 4)
    price = np.array([p.price for p in _CATALOGUE])
    filled = np.arange(4) < line_count[:, None]
    orders["merchandise"] = (price[basket] * quantity * filled).sum(axis=1)
    orders["has_gift_set"] = np.isin(basket, gift).any(axis=1) & sends_gift
    return {
        "order_no": np.repeat(np.arange(n_orders), line_count),
        "line_no": np.broadcast_to(np.arange(1, 5), (n_orders, 4))[filled],
        "product": basket[filled].astype(np.int32),
        "quantity": quantity[filled],
    }


def _settle_money(
    rng: np.random.Generator,
    orders: dict[str, np.ndarray],
    buyers: dict[str, np.ndarray],
    calendar: _Calendar,
) -> None:
    """Discounts, statuses, refunds and the timestamps that follow from them."""
    n = len(orders["customer"])
    merchandise = orders["merchandise"]
    created = orders["created_at"]

    code = np.full(n, -1)
    r = rng.random(n)
    code[orders["is_first"] & (r < 0.25)] = 0
    later = ~orders["is_first"] & (code < 0)
    code[later & orders["gift_season"] & (r < 0.2)] = 1
    code[later & orders["heavy"] & (r > 0.85)] = 2
    r = rng.random(n)
    code[(code < 0) & (r < 0.03)] = 3
    code[(code < 0) & (r > 0.97)] = 4
    with_code = code >= 0
    pick = np.maximum(code, 0)
    ceiling = merchandise // 500 * 100  # 20% of merchandise, in whole hundreds of won
    discount = np.where(
        _DISCOUNT_PERCENT[pick] > 0,
        merchandise * _DISCOUNT_PERCENT[pick] // 100 // 100 * 100,
        _DISCOUNT_FIXED[pick],
    )
    discount = np.where(with_code, np.minimum(discount, ceiling), 0)
    code[discount == 0] = -1

    subtotal = merchandise - discount
    shipping = np.where(subtotal >= FREE_SHIPPING_FROM, 0, SHIPPING_FEE)
    status = np.searchsorted(np.cumsum([0.01, 0.04, 0.03, 0.02]), rng.random(n), side="right")
    status = np.array([PENDING, PARTIALLY_REFUNDED, REFUNDED, VOIDED, PAID])[status]
    share = rng.uniform(0.1, 0.6, n)
    partial = np.clip(np.round(subtotal * share / 100).astype(np.int64) * 100, 100, subtotal - 100)
    refunded = np.select([status == PARTIALLY_REFUNDED, status == REFUNDED], [partial, subtotal], 0)

    captured = np.isin(status, [PAID, PARTIALLY_REFUNDED, REFUNDED])
    paid_at = np.where(captured, created + rng.integers(20, 900, n), -1)
    cancelled_at = np.where(
        status == VOIDED, np.minimum(created + rng.integers(600, 36 * 3600, n), calendar.end), -1
    )
    dispatched = created // DAY * DAY + rng.integers(1, 4, n) * DAY + rng.integers(9, 18, n) * 3600
    dispatched += rng.integers(0, 3600, n)
    # Some refunds are returns of delivered goods, others stop the parcel before it ships.
    ships = np.isin(status, [PAID, PARTIALLY_REFUNDED]) | (
        (status == REFUNDED) & (rng.random(n) < 0.5)
    )
    fulfilled_at = np.where(ships & (dispatched <= calendar.end), dispatched, -1)

    # Gift orders ship to somebody else, usually with a holiday gift set in the box.
    n_buyers = len(buyers["kind"])
    gift = (orders["has_gift_set"] & (rng.random(n) < 0.6)) | (rng.random(n) < 0.02)
    recipient = rng.integers(0, n_buyers, n)
    recipient = np.where(recipient == orders["customer"], (recipient + 1) % n_buyers, recipient)
    guest = rng.random(n) < 0.02
    payment = rng.choice(len(_PAYMENT_METHODS), n, p=[0.34, 0.24, 0.2, 0.18, 0.04])
    tag = orders["heavy"].astype(np.int64) + 2 * orders["has_gift_set"]
    note = np.where(rng.random(n) < 0.06, rng.integers(0, len(_DELIVERY_NOTES), n), -1)
    gift_message = np.where(gift & (rng.random(n) < 0.5), rng.integers(0, 2, n), -1)
    # Shopify ids are 13 digits and grow with time, with other shops' orders in between.
    first_id = 5_000_000_000_000 + rng.integers(0, 500_000_000_000)
    orders.update(
        {
            "id": first_id + np.cumsum(rng.integers(1, 2_000, n)),
            "discount_code": code,
            "discount": discount,
            "subtotal": subtotal,
            "shipping": shipping,
            "status": status,
            "refunded": refunded,
            "paid_at": paid_at,
            "cancelled_at": cancelled_at,
            "fulfilled_at": fulfilled_at,
            "ship_to": np.where(gift, recipient, orders["customer"]),
            "guest": guest,
            # Real exports mix cases and stray spaces; 0 is clean, the rest are kinds of dirt.
            "email_style": np.where(guest, 0, rng.choice(5, n, p=[0.9, 0.04, 0.02, 0.02, 0.02])),
            "phone_style": rng.integers(0, 2, n),
            "payment_method": np.where(status == PENDING, 4, payment),
            "source": rng.choice(len(_SOURCES), n, p=[0.8, 0.09, 0.09, 0.02]),
            "risk_level": rng.choice(len(_RISK_LEVELS), n, p=[0.97, 0.025, 0.005]),
            "tag": tag,
            "note": note,
            "gift_message": gift_message,
        }
    )


def _draw_attribution(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Where each order's visit came from: a tagged ad, a plain link, or nowhere known."""
    kind = rng.choice(3, n, p=[0.45, 0.15, 0.40])
    return {
        "ad_channel": np.where(kind == 0, rng.choice(len(AD_CHANNELS), n), -1),
        "referrer": np.where(kind == 1, rng.choice(len(_REFERRERS), n), -1),
    }


def _accepts_marketing(
    rng: np.random.Generator,
    buyers: dict[str, np.ndarray],
    contacts: dict[str, np.ndarray],
    orders: dict[str, np.ndarray],
) -> np.ndarray:
    """Shopify's marketing flag mostly agrees with the CRM email consent, but not always."""
    n = len(buyers["kind"])
    chance = np.full(n, 0.3)
    is_buyer = contacts["person"] < n
    buyer = contacts["person"][is_buyer]
    chance[buyer] = np.where(contacts["email_consent"][is_buyer], 0.85, 0.1)
    accepts = rng.random(n) < chance
    return accepts[orders["customer"]] & ~orders["guest"]


def _draw_contacts(
    rng: np.random.Generator,
    buyers: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    calendar: _Calendar,
) -> dict[str, np.ndarray]:
    n = len(buyers["kind"])
    n_leads = len(people["surname"]) - n
    # Loyal customers are the ones who bother to sign up.
    joins_crm = rng.random(n) < np.array([0.62, 0.80, 0.95])[buyers["kind"]]
    buyer = np.flatnonzero(joins_crm)
    first_order = buyers["first_purchase_at"]

    r = rng.random(len(buyer))
    signed_up = first_order[buyer] - rng.integers(0, 300, len(buyer))  # at checkout
    early = r >= 0.7  # newsletter subscribers who bought later, some long before the window
    signed_up[early] -= rng.integers(DAY, 3 * 365 * DAY, early.sum())
    imported = r >= 0.9  # added by a later CRM import
    signed_up[imported] = np.minimum(
        first_order[buyer][imported] + rng.integers(DAY, 90 * DAY, imported.sum()), calendar.end
    )
    lead_from = np.where(rng.random(n_leads) < 0.35, calendar.start - 3 * 365 * DAY, calendar.start)
    lead_created = lead_from + (rng.random(n_leads) * (calendar.end - lead_from)).astype(np.int64)

    person = np.concatenate([buyer, n + np.arange(n_leads)])
    created = np.concatenate([signed_up, lead_created])
    loyalty = np.concatenate([np.log1p(buyers["orders"][buyer]), np.full(n_leads, 0.3)])
    by_time = np.argsort(created, kind="stable")
    person, created, loyalty = person[by_time], created[by_time], loyalty[by_time]
    n_contacts = len(person)

    # One shared willingness plus channel noise; thresholds at quantiles hit the target rates.
    willing = rng.standard_normal(n_contacts) + 0.6 * loyalty
    consent = {}
    for channel, rate in (("email", 0.55), ("sms", 0.40), ("kakao", 0.35)):
        score = willing + rng.standard_normal(n_contacts)
        consent[channel] = _top_share(score, rate)
    anything = consent["email"] | consent["sms"] | consent["kakao"]
    night = anything & (rng.random(n_contacts) * max(anything.sum(), 1) < 0.15 * n_contacts)

    latest = created.copy()
    consent_dates = {}
    for channel, given in consent.items():
        later = created + (rng.random(n_contacts) * (calendar.end - created)).astype(np.int64)
        when = np.where(rng.random(n_contacts) < 0.7, created, later)  # most consent at signup
        consent_dates[channel] = np.where(given, when, -1)
        latest = np.maximum(latest, consent_dates[channel])
    updated = latest + (rng.random(n_contacts) * (calendar.end - latest) * 0.5).astype(np.int64)

    handle_score = rng.standard_normal(n_contacts) + 0.4 * loyalty
    return {
        "person": person,
        "created_at": created,
        "updated_at": updated,
        "loyalty": loyalty,
        "email_consent": consent["email"],
        "email_consent_at": consent_dates["email"],
        "sms_consent": consent["sms"],
        "sms_consent_at": consent_dates["sms"],
        "kakao_consent": consent["kakao"],
        "kakao_consent_at": consent_dates["kakao"],
        "night_consent": night,
        "has_handle": _top_share(handle_score, 0.25),
        "handle_pattern": rng.integers(0, 4, n_contacts),
        "handle_word": rng.integers(0, len(_HANDLE_WORDS), n_contacts),
        "email_style": rng.choice(3, n_contacts, p=[0.9, 0.07, 0.03]),
    }


def _draw_engagement(
    rng: np.random.Generator,
    contacts: dict[str, np.ndarray],
    people: dict[str, np.ndarray],
    calendar: _Calendar,
) -> dict[str, np.ndarray | pa.Array]:
    handles = _contact_handles(contacts, people)
    contacts["handle"] = handles
    fan = np.flatnonzero(contacts["has_handle"])
    n_events = round(3 * len(fan))
    from_fans = round(0.8 * n_events)
    n_strangers = max(1, round(0.5 * len(fan)))

    # Engagement is heavy-tailed too, and loyal buyers engage more.
    fan_weight = rng.lognormal(0.0, 1.0, len(fan)) * (1 + contacts["loyalty"][fan])
    stranger_weight = 1 / rng.permutation(np.arange(1, n_strangers + 1)) ** 0.8
    fan_events = (
        rng.choice(len(fan), from_fans, p=_norm(fan_weight))
        if len(fan)
        else np.zeros(0, dtype=np.int64)  # a tiny sample may have nobody on social media
    )
    stranger_events = rng.choice(n_strangers, n_events - from_fans, p=_norm(stranger_weight))
    who = np.concatenate([fan_events, len(fan) + stranger_events])
    stranger_handles = pc.binary_join_element_wise(
        "@",
        _pick(_HANDLE_WORDS, rng.integers(0, len(_HANDLE_WORDS), n_strangers)),
        "_",
        _pick(_HANDLE_WORDS, rng.integers(0, len(_HANDLE_WORDS), n_strangers)),
        pc.cast(pa.array(rng.permutation(3 * n_strangers)[:n_strangers] + 1), pa.string()),
        "",
    )
    all_handles = pa.concat_arrays([pc.take(handles, pa.array(fan)), stranger_handles])

    platform_share = [0.75, 0.10, 0.15]  # instagram, youtube, naver_blog
    home = rng.choice(3, len(all_handles), p=platform_share)
    platform = np.where(
        rng.random(n_events) < 0.85, home[who], rng.choice(3, n_events, p=platform_share)
    )
    seen = calendar.times(rng, rng.random(n_events), _SNS_HOURS)

    # Per platform: instagram posts most days, youtube weekly, the blog a few times a week.
    event_mix = np.array(
        [
            [0.50, 0.15, 0.07, 0.13, 0.06, 0.07, 0.02],
            [0.55, 0.20, 0.10, 0.05, 0.08, 0.01, 0.01],
            [0.35, 0.20, 0.05, 0.05, 0.05, 0.05, 0.25],
        ]
    )
    posts_per_day = (0.8, 1 / 7, 3 / 7)
    post = np.zeros(n_events, dtype=np.int64)
    occurred = seen.copy()
    for p, per_day in enumerate(posts_per_day):
        n_posts = max(1, round(per_day * calendar.days))
        published = np.sort(rng.integers(calendar.start, calendar.end, n_posts))
        published[0] = calendar.start
        mine = platform == p
        # People mostly react to the latest posts, sometimes to older ones.
        latest = np.searchsorted(published, seen[mine], side="right") - 1
        post[mine] = np.maximum(latest - (rng.geometric(0.35, mine.sum()) - 1), 0)
        reaction = published[post[mine]] + rng.integers(60, 6 * 3600, mine.sum())
        occurred[mine] = np.minimum(np.maximum(seen[mine], reaction), calendar.end)
    cumulative = np.cumsum(event_mix[platform], axis=1)
    event_type = (rng.random(n_events)[:, None] > cumulative[:, :-1]).sum(axis=1)

    by_time = np.argsort(occurred, kind="stable")
    return {
        "occurred_at": occurred[by_time],
        "platform": platform[by_time],
        "handle": pc.take(all_handles, pa.array(who[by_time])),
        "event_type": event_type[by_time],
        "post": post[by_time] + 1,
    }


def _contact_handles(contacts: dict[str, np.ndarray], people: dict[str, np.ndarray]) -> pa.Array:
    """Instagram handles for contacts that have one, null for the rest; always unique."""
    person = contacts["person"]
    given = _pick([g[1] for g in _GIVEN_NAMES], people["given"][person])
    surname = _pick([s[1] for s in _SURNAMES], people["surname"][person])
    word = _pick(_HANDLE_WORDS, contacts["handle_word"])
    handle = pc.choose(
        pa.array(contacts["handle_pattern"]),
        pc.binary_join_element_wise("@", given, "_", word, ""),
        pc.binary_join_element_wise("@", word, ".", given, ""),
        pc.binary_join_element_wise("@", given, ".", surname, ""),
        pc.binary_join_element_wise("@", given, surname, "_", word, ""),
    )
    handle = pc.if_else(pa.array(contacts["has_handle"]), handle, pa.scalar(None, pa.string()))
    # Handles never end in a digit, so appending the contact's number to repeats keeps them
    # unique.
    order = pc.sort_indices(handle).to_numpy()
    ordered = pc.take(handle, pa.array(order))
    repeat = np.zeros(len(handle), dtype=bool)
    same = pc.equal(ordered[1:], ordered[:-1]).fill_null(False).to_numpy(zero_copy_only=False)
    repeat[order[1:][same]] = True
    number = pc.cast(pa.array(np.arange(1, len(handle) + 1)), pa.string())
    return pc.if_else(pa.array(repeat), pc.binary_join_element_wise(handle, number, ""), handle)


def _people_table(people: dict[str, np.ndarray]) -> pa.Table:
    n = len(people["surname"])
    given_rom = _pick([g[1] for g in _GIVEN_NAMES], people["given"])
    surname_rom = _pick([s[1] for s in _SURNAMES], people["surname"])
    number = pc.cast(pa.array(people["email_number"]), pa.string())
    local = pc.choose(
        pa.array(people["email_pattern"]),
        pc.binary_join_element_wise(given_rom, ".", surname_rom, number, ""),
        pc.binary_join_element_wise(given_rom, number, ""),
        pc.binary_join_element_wise(surname_rom, ".", given_rom, number, ""),
    )
    domain = _pick([d[0] for d in _EMAIL_DOMAINS], people["email_domain"])
    middle = _digits(people["phone"] // 10_000, 4)
    last = _digits(people["phone"] % 10_000, 4)
    address1 = pc.binary_join_element_wise(
        _pick(_ROADS, people["road"]), _digits(people["building"], 1), " "
    )
    unit = pc.binary_join_element_wise(
        _digits(people["dong"], 1), "동 ", _digits(people["unit"], 1), "호", ""
    )
    address2 = pc.if_else(pa.array(people["has_unit"]), unit, pa.scalar(None, pa.string()))
    return pa.table(
        {
            "person": pa.array(np.arange(n)),
            "name": pc.binary_join_element_wise(
                _pick([s[0] for s in _SURNAMES], people["surname"]),
                _pick([g[0] for g in _GIVEN_NAMES], people["given"]),
                "",
            ),
            "email": pc.binary_join_element_wise(local, "@", domain, ""),
            "phone": pc.binary_join_element_wise("010-", middle, "-", last, ""),
            "phone_intl": pc.binary_join_element_wise("+82 10-", middle, "-", last, ""),
            "address1": address1,
            "address2": address2,
            "street": pc.coalesce(pc.binary_join_element_wise(address1, address2, ", "), address1),
            "city": _pick([c for p in _PROVINCES for c in p[5]], people["city"]),
            "zip": _digits(people["zip"], 5),
            "province_code": _pick([p[0] for p in _PROVINCES], people["province"]),
            "province_name": _pick([p[1] for p in _PROVINCES], people["province"]),
        }
    )


def _products_table() -> pa.Table:
    return pa.table(
        {
            "product": pa.array(np.arange(len(_CATALOGUE), dtype=np.int32)),
            "sku": [f"DG-{i:04d}" for i in range(1, len(_CATALOGUE) + 1)],
            "name": [p.name for p in _CATALOGUE],
            "price": pa.array([p.price for p in _CATALOGUE], pa.int64()),
            "compare_at": pa.array([p.compare_at for p in _CATALOGUE], pa.int64()),
            "taxable": ["true" if p.taxable else "false" for p in _CATALOGUE],
        }
    )


def _orders_table(orders: dict[str, np.ndarray]) -> pa.Table:
    status = orders["status"]
    fulfilled = orders["fulfilled_at"] >= 0
    shipping = orders["shipping"]
    return pa.table(
        {
            "order_no": pa.array(np.arange(len(status))),
            "id": orders["id"],
            "customer": orders["customer"],
            "ship_to": orders["ship_to"],
            "created_at": _timestamps(orders["created_at"]),
            "paid_at": _timestamps(orders["paid_at"]),
            "fulfilled_at": _timestamps(orders["fulfilled_at"]),
            "cancelled_at": _timestamps(orders["cancelled_at"]),
            "financial_status": _labels(FINANCIAL_STATUSES, status),
            "fulfilled": fulfilled,
            "accepts_marketing": orders["accepts_marketing"],
            "subtotal": orders["subtotal"],
            "shipping": shipping,
            "discount_code": _labels(_DISCOUNT_CODES, orders["discount_code"]),
            "discount": orders["discount"],
            "shipping_method": _labels(
                ("무료배송 (CJ대한통운)", "기본배송 (CJ대한통운)"), (shipping > 0).astype(np.int8)
            ),
            "refunded": orders["refunded"],
            "outstanding": np.where(status == PENDING, orders["subtotal"] + shipping, 0),
            "guest": orders["guest"],
            "email_style": orders["email_style"],
            "phone_style": orders["phone_style"],
            "payment_method": _labels(_PAYMENT_METHODS, orders["payment_method"]),
            "source": _labels(_SOURCES, orders["source"]),
            "risk_level": _labels(_RISK_LEVELS, orders["risk_level"]),
            "tags": _labels(_TAGS, orders["tag"]),
            "notes": _labels(_DELIVERY_NOTES, orders["note"]),
            "note_attributes": _labels(_GIFT_MESSAGES, orders["gift_message"]),
            "landing_site": _labels(
                [
                    f"/collections/all?utm_source={channel}&utm_medium=cpc"
                    f"&utm_campaign={urllib.parse.quote(AD_CAMPAIGN)}"
                    for channel in AD_CHANNELS
                ],
                orders["ad_channel"],
            ),
            "referring_site": _labels(_REFERRERS, orders["referrer"]),
        }
    )


def _contacts_table(contacts: dict[str, np.ndarray]) -> pa.Table:
    consent = {k: v for k, v in contacts.items() if k.endswith("consent")}
    return pa.table(
        {
            "contact_no": pa.array(np.arange(1, len(contacts["person"]) + 1)),
            "person": contacts["person"],
            "email_style": contacts["email_style"],
            **{name: _labels(("N", "Y"), given.astype(np.int8)) for name, given in consent.items()},
            **{
                f"{name}_at": _timestamps(contacts[f"{name}_at"])
                for name in consent
                if name != "night_consent"
            },
            "handle": contacts["handle"],
            "created_at": _timestamps(contacts["created_at"]),
            "updated_at": _timestamps(contacts["updated_at"]),
        }
    )


def _events_table(events: dict[str, np.ndarray | pa.Array]) -> pa.Table:
    return pa.table(
        {
            "event_no": pa.array(np.arange(len(events["occurred_at"]))),
            "platform": _labels(("instagram", "youtube", "naver_blog"), events["platform"]),
            "post_prefix": _labels(("IG_", "YT_", "NB_"), events["platform"]),
            "handle": events["handle"],
            "event_type": _labels(
                ("like", "comment", "share", "save", "follow", "mention", "review"),
                events["event_type"],
            ),
            "post": events["post"],
            "occurred_at": _timestamps(events["occurred_at"]),
        }
    )


def _shop_orders_query() -> str:
    email = (
        "CASE WHEN o.guest THEN NULL ELSE ["
        "p.email, upper(left(p.email, 1)) || substr(p.email, 2), upper(p.email), "
        "' ' || p.email, p.email || ' '][o.email_style + 1] END"
    )
    payment_reference = "'c' || o.id || '.1'"
    expressions = {
        "Name": "'#' || (1001 + o.order_no)",
        "Email": email,
        "Financial Status": "o.financial_status",
        "Paid at": _shopify_time("o.paid_at"),
        "Fulfillment Status": "CASE WHEN o.fulfilled THEN 'fulfilled' ELSE 'unfulfilled' END",
        "Fulfilled at": _shopify_time("o.fulfilled_at"),
        "Accepts Marketing": "CASE WHEN o.accepts_marketing THEN 'yes' ELSE 'no' END",
        "Currency": "'KRW'",
        "Subtotal": _won("o.subtotal"),
        "Shipping": _won("o.shipping"),
        "Taxes": "'0.00'",  # Korean consumer prices include VAT
        "Total": _won("o.subtotal + o.shipping"),
        "Discount Code": "o.discount_code",
        "Discount Amount": _won("o.discount"),
        "Shipping Method": "o.shipping_method",
        "Created at": _shopify_time("o.created_at"),
        "Lineitem quantity": "l.quantity",
        "Lineitem name": "pr.name",
        "Lineitem price": _won("pr.price"),
        "Lineitem compare at price": _won("pr.compare_at"),
        "Lineitem sku": "pr.sku",
        "Lineitem requires shipping": "'true'",
        "Lineitem taxable": "pr.taxable",
        "Lineitem fulfillment status": "CASE WHEN o.fulfilled THEN 'fulfilled' ELSE 'pending' END",
        "Billing Name": "p.name",
        "Billing Street": "p.street",
        "Billing Address1": "p.address1",
        "Billing Address2": "p.address2",
        "Billing Company": "NULL",
        "Billing City": "p.city",
        "Billing Zip": "p.zip",
        "Billing Province": "p.province_code",
        "Billing Country": "'KR'",
        "Billing Phone": "p.phone",
        "Shipping Name": "s.name",
        "Shipping Street": "s.street",
        "Shipping Address1": "s.address1",
        "Shipping Address2": "s.address2",
        "Shipping Company": "NULL",
        "Shipping City": "s.city",
        "Shipping Zip": "s.zip",
        "Shipping Province": "s.province_code",
        "Shipping Country": "'KR'",
        "Shipping Phone": "s.phone",
        "Notes": "o.notes",
        "Note Attributes": "o.note_attributes",
        "Cancelled at": _shopify_time("o.cancelled_at"),
        "Payment Method": "o.payment_method",
        "Payment Reference": payment_reference,
        "Refunded Amount": _won("o.refunded"),
        "Vendor": "'Dangol Foods'",
        "Outstanding Balance": _won("o.outstanding"),
        "Employee": "NULL",
        "Location": "NULL",
        "Device ID": "NULL",
        "Id": "o.id",
        "Tags": "o.tags",
        "Risk Level": "o.risk_level",
        "Source": "o.source",
        "Lineitem discount": "'0.00'",
        **{f"Tax {i} {part}": "NULL" for i in range(1, 6) for part in ("Name", "Value")},
        "Phone": "CASE WHEN o.guest THEN [p.phone_intl, p.phone][o.phone_style + 1] END",
        "Receipt Number": "NULL",
        "Duties": "NULL",
        "Billing Province Name": "p.province_name",
        "Shipping Province Name": "s.province_name",
        "Payment ID": payment_reference,
        "Payment Terms Name": "NULL",
        "Next Payment Due At": "NULL",
        "Payment References": payment_reference,
        "Landing Site": "o.landing_site",
        "Referring Site": "o.referring_site",
    }
    assert tuple(expressions) == SHOPIFY_ORDER_COLUMNS
    select = ",\n".join(
        f"{expr} AS {_quote(column)}"
        if column in SHOPIFY_LINE_COLUMNS
        else f"CASE WHEN l.line_no = 1 THEN {expr} END AS {_quote(column)}"
        for column, expr in expressions.items()
    )
    return f"""
        SELECT {select}
        FROM line_slice AS l
        JOIN order_slice AS o ON o.order_no = l.order_no
        JOIN products AS pr ON pr.product = l.product
        JOIN billed AS p ON p.order_no = l.order_no
        JOIN shipped AS s ON s.order_no = l.order_no
        ORDER BY l.order_no, l.line_no
    """


def _crm_contacts_query() -> str:
    return f"""
        SELECT
            printf('C%06d', c.contact_no) AS "Contact ID",
            p.name AS "Name",
            [p.email, upper(left(p.email, 1)) || substr(p.email, 2), upper(p.email)]
                [c.email_style + 1] AS "Email",
            p.phone AS "Phone",
            c.email_consent AS "Email Consent",
            {_local_time("c.email_consent_at")} AS "Email Consent Date",
            c.sms_consent AS "SMS Consent",
            {_local_time("c.sms_consent_at")} AS "SMS Consent Date",
            c.kakao_consent AS "Kakao Consent",
            {_local_time("c.kakao_consent_at")} AS "Kakao Consent Date",
            c.night_consent AS "Night Consent",
            c.handle AS "Instagram Handle",
            {_local_time("c.created_at")} AS "Created At",
            {_local_time("c.updated_at")} AS "Updated At"
        FROM contacts AS c
        JOIN people AS p USING (person)
        ORDER BY c.contact_no
    """


def _sns_engagement_query() -> str:
    return """
        SELECT
            platform AS "Platform",
            handle AS "Handle",
            event_type AS "Event Type",
            post_prefix || lpad(post::VARCHAR, 6, '0') AS "Post ID",
            strftime(occurred_at, '%Y-%m-%dT%H:%M:%S') || '+09:00' AS "Occurred At",
            -- Reviews carry stars, mostly 4 and 5 as on real platforms; other events none.
            CASE WHEN event_type = 'review'
                THEN [5, 5, 4, 5, 3, 4, 5, 2, 5, 1][event_no % 10 + 1]
            END AS "Rating"
        FROM events
        ORDER BY event_no
    """


def _copy_shop_orders(
    con: duckdb.DuckDBPyConnection, path: Path, people: pa.Table, orders: pa.Table, lines: pa.Table
) -> None:
    """Write the order export a slice of orders at a time.

    Sorting every line row at once makes DuckDB hold gigabytes of text for a million customers.
    Slices keep memory flat, and handing each slice its buyers' and recipients' rows up front
    spares DuckDB a join against every person per slice. The slices concatenate to the same bytes.
    """
    part = _hidden_sibling(path, "part")
    assembling = _hidden_sibling(path, "partial")
    order_starts = np.arange(0, orders.num_rows + _ORDERS_PER_SLICE, _ORDERS_PER_SLICE)
    line_starts = np.searchsorted(lines["order_no"].to_numpy(), order_starts)
    try:
        with assembling.open("wb") as out:
            for i, first_order in enumerate(order_starts[:-1]):
                some_orders = orders.slice(first_order, _ORDERS_PER_SLICE)
                order_no = some_orders["order_no"]
                some_lines = lines.slice(line_starts[i], line_starts[i + 1] - line_starts[i])
                buyers = people.take(some_orders["customer"])
                recipients = people.take(some_orders["ship_to"])
                con.register("order_slice", some_orders)
                con.register("line_slice", some_lines)
                con.register("billed", buyers.append_column("order_no", order_no))
                con.register("shipped", recipients.append_column("order_no", order_no))
                _copy_to(con, _shop_orders_query(), part, header=i == 0)
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, out, 1 << 24)
        assembling.replace(path)
    finally:
        part.unlink(missing_ok=True)
        assembling.unlink(missing_ok=True)


def _copy_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    # Landing folders are watched, so a file only appears under its real name once complete.
    partial = _hidden_sibling(path, "partial")
    try:
        _copy_to(con, query, partial, header=True)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _copy_to(con: duckdb.DuckDBPyConnection, query: str, path: Path, header: bool) -> None:
    target = str(path).replace("'", "''")
    # COMMENT '' stops DuckDB from quoting every value that starts with "#", like order names.
    options = f"FORMAT csv, HEADER {str(header).lower()}, DELIMITER ',', COMMENT ''"
    con.execute(f"COPY ({query}) TO '{target}' ({options})")


def _hidden_sibling(path: Path, suffix: str) -> Path:
    # The pipeline skips dot files, so it never ingests a half-written export.
    return path.with_name(f".{path.name}.{suffix}")


def _shopify_time(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%d %H:%M:%S') || ' +0900'"


def _local_time(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%d %H:%M:%S')"


def _won(column: str) -> str:
    # Every amount is a whole number of won, so integer text plus ".00" is exact.
    return f"({column})::VARCHAR || '.00'"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _draw_by_row(
    rng: np.random.Generator, alternative: np.ndarray, usual: list[float], other: list[float]
) -> np.ndarray:
    """Draw 0..k-1 per row, from `other` where `alternative` is set and `usual` elsewhere."""
    thresholds = np.where(alternative[:, None], np.cumsum(other)[:-1], np.cumsum(usual)[:-1])
    return (rng.random(len(alternative))[:, None] >= thresholds).sum(axis=1)


def _pick(values: Sequence[str], index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, pa.string()), pa.array(index))


def _digits(numbers: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")


def _labels(values: Sequence[str | None], index: np.ndarray) -> pa.DictionaryArray:
    """Dictionary-encode codes as text; a negative code or a None value becomes an empty field."""
    index = np.asarray(index, dtype=np.int32)
    missing = index < 0
    none_codes = [i for i, v in enumerate(values) if v is None]
    if none_codes:
        missing |= np.isin(index, none_codes)
    return pa.DictionaryArray.from_arrays(
        pa.array(np.where(missing, 0, index), mask=missing),
        pa.array(["" if v is None else v for v in values], pa.string()),
    )


def _timestamps(seconds: np.ndarray) -> pa.Array:
    """Seoul wall-clock seconds as naive timestamps; negative means absent."""
    return pa.array(seconds, pa.timestamp("s"), mask=seconds < 0)


def _norm(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _top_share(score: np.ndarray, share: float) -> np.ndarray:
    """Flag the highest-scoring `share` of rows, so a target rate is hit exactly."""
    if len(score) == 0:
        return np.zeros(0, dtype=bool)
    return score > np.quantile(score, 1 - share)

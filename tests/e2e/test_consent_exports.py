"""Consent is enforced end to end: real pipeline runs over real-format export files holding one
person per consent case, then the written segment lists are read back like a marketer would.

The files are written here, with dates relative to today, because the rules are about age
(two-year re-confirmation, six-month exception): fixed dates would change verdict over time.
For each channel the test states who may be listed, case by case, and compares exactly.
"""

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
import yaml

from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.runner import run_pipeline

pytestmark = pytest.mark.e2e
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(days: int) -> str:
    return (NOW - dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S +0000")


@dataclass(frozen=True)
class Person:
    key: str  # also the email's local part
    name: str
    phone: str
    email_consent: str = "N"
    email_consent_at: str = ""
    email_reconfirmed_at: str = ""
    sms_consent: str = "N"
    sms_consent_at: str = ""
    kakao_consent: str = "N"
    kakao_consent_at: str = ""
    night_consent: str = "N"
    updated_at: str = ago(400)
    created_at: str = ago(100)

    @property
    def email(self) -> str:
        return f"{self.key}@example.com"

    @property
    def e164(self) -> str:
        return "+82" + self.phone.replace("-", "")[1:]


PEOPLE = [
    # Opted in to email, SMS and Kakao, and to night-time messages: on every list.
    Person("optin", "김민준", "010-1000-0001", "Y", ago(30), "", "Y", ago(30), "Y", ago(30), "Y"),
    # Refused email, opted in to SMS only: SMS list only (consent is per channel).
    Person("smsonly", "이서연", "010-1000-0002", "N", "", "", "Y", ago(30)),
    # Opted in to email, then unsubscribed from a campaign: no email list.
    Person("unsub", "박지호", "010-1000-0003", "Y", ago(90)),
    # Opted in to email, then the address bounced: no email list.
    Person("bounce", "최하은", "010-1000-0004", "Y", ago(90)),
    # Opted in to email and SMS, but on the brand's suppression list (by phone): on none.
    Person("suppressed", "정도윤", "010-1000-0005", "Y", ago(30), "", "Y", ago(30)),
    # Opted in to email three years ago, never re-confirmed: expired.
    Person("expired", "강서준", "010-1000-0006", "Y", ago(1100), created_at=ago(1100)),
    # Opted in three years ago and re-confirmed last month: valid.
    Person("reconfirmed", "조예린", "010-1000-0007", "Y", ago(1100), ago(30), created_at=ago(1100)),
    # Never answered (blank, not N), bought 20 days ago: only with the six-month exception.
    Person("recentbuyer", "윤지우", "010-1000-0008", "", sms_consent="", kakao_consent=""),
    # Never answered in the CRM; the shop export says yes (undated, the only fact): listed.
    # A CRM campaign unsubscribe arrives in run 2 and wins.
    Person("shopyes", "임수아", "010-1000-0009", ""),
    # The CRM refused long ago; the shop export says yes, undated: the dated refusal wins.
    Person("shopstale", "오하린", "010-1000-0011", "N"),
    # The CRM refused long ago; the shop said no in run 1 and yes in run 2: a change the run
    # saw, dated by its export, newer than the refusal: listed from run 2 on.
    Person("shopnewer", "한도현", "010-1000-0010", "N"),
]
SHOP_ANSWERS = {"shopyes": "yes", "shopstale": "yes", "shopnewer": "no"}
# Who may be on each channel's list after run 1 (default consent policy).
EXPECTED = {
    "email": {"optin", "reconfirmed", "shopyes"},
    "sms": {"optin", "smsonly"},
    "kakao": {"optin"},
    "night_sms": {"optin"},
}
EXPECTED_AFTER_RUN_2 = EXPECTED["email"] - {"shopyes"} | {"shopnewer"}
SEGMENTS = {
    "email": "all_buyers_email",
    "sms": "all_buyers_sms",
    "kakao": "all_buyers_kakao",
    "night_sms": "night_buyers_sms",
}


ORDER_HEADER = [
    "Name", "Email", "Financial Status", "Currency", "Subtotal", "Discount Amount", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Cancelled at", "Refunded Amount",
    "Id", "Phone",
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_shop_customers(path: Path, answers: dict[str, str]) -> None:
    write_csv(
        path,
        ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Phone",
         "Accepts SMS Marketing", "Total Spent", "Total Orders"],
        [
            [str(7_000 + i), p.name[1:], p.name[0], p.email, answers[p.key], p.phone, "",
             "20000", "1"]
            for i, p in enumerate(PEOPLE)
            if p.key in answers
        ],
    )  # fmt: skip


def write_landing(landing: Path) -> None:
    write_csv(
        landing / "shop" / "orders_export_1.csv",
        ORDER_HEADER,
        [
            [f"#{1000 + i}", p.email, "paid", "KRW", "20000.00", "0.00", ago(20 + i), "1",
             "체험 세트", "20000.00", "", "0.00", str(5_000_000 + i), p.phone]
            for i, p in enumerate(PEOPLE)
        ],
    )  # fmt: skip
    contact_header = [
        "Contact ID", "Name", "Email", "Phone", "Email Consent", "Email Consent Date",
        "Email Reconfirmed At", "SMS Consent", "SMS Consent Date", "Kakao Consent",
        "Kakao Consent Date", "Night Consent", "Created At", "Updated At",
    ]  # fmt: skip
    write_csv(
        landing / "crm" / "contacts.csv",
        contact_header,
        [
            [f"C{i:04d}", p.name, p.email, p.phone, p.email_consent, p.email_consent_at,
             p.email_reconfirmed_at, p.sms_consent, p.sms_consent_at, p.kakao_consent,
             p.kakao_consent_at, p.night_consent, p.created_at, p.updated_at]
            for i, p in enumerate(PEOPLE)
        ],
    )  # fmt: skip
    write_shop_customers(landing / "shop" / "customers_export.csv", SHOP_ANSWERS)
    campaign_header = ["Campaign ID", "Channel", "Contact ID", "Email", "Phone", "Event Type",
                       "Occurred At"]  # fmt: skip
    by_key = {p.key: (f"C{i:04d}", p) for i, p in enumerate(PEOPLE)}
    write_csv(
        landing / "crm" / "campaign_events.csv",
        campaign_header,
        [
            ["CMP-1", "email", by_key["unsub"][0], "unsub@example.com", "", "unsubscribed",
             ago(10)],
            # Found by email alone: the event carries no contact id.
            ["CMP-1", "email", "", "bounce@example.com", "", "bounced", ago(10)],
        ],
    )  # fmt: skip


def write_config(path: Path, **consent) -> Path:
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    everyone = {"orders_count": {"at_least": 1}}
    config["segment_playbook"] = {name: {"enabled": False} for name in (
        "vip_top_decile", "high_value_win_back", "loyal_membership_invitation",
        "first_purchase_membership_invitation", "advocates", "lapsed_members",
        "high_value_churn_risk",
    )}  # fmt: skip
    config["segments"] = [
        {"name": SEGMENTS[c], "description": "모든 구매 고객", "channel": c, "where": everyone}
        for c in ("email", "sms", "kakao")
    ] + [
        {
            "name": SEGMENTS["night_sms"],
            "description": "야간 발송",
            "channel": "sms",
            "where": everyone,
            "night_sending": True,
        }
    ]
    config["consent"] = {**config["consent"], **consent}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def latest_export(home: DangolHome) -> Path:
    return sorted(p.parent for p in home.exports_dir.glob("*/manifest.json"))[-1]


def listed(folder: Path, segment: str) -> set[str]:
    with (folder / f"{segment}.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    contacts = {row.get("email") or row["phone_e164"] for row in rows}
    return {p.key for p in PEOPLE if p.email in contacts or p.e164 in contacts}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run 1: everything but the late unsubscribe. Run 2: it lands. Run 3: exception on."""
    root = tmp_path_factory.mktemp("consent")
    home = DangolHome(root=root / "home", landing=root / "landing")
    write_landing(home.landing)
    home.root.mkdir(parents=True)
    # The suppression list writes the phone another way: normalised like everywhere else.
    (home.root / "suppression.csv").write_text("email,phone\n,010 1000 0005\n", encoding="utf-8")
    stale = home.exports_dir / "20000101T000000Z-oldrun00"
    stale.mkdir(parents=True)
    (stale / "old.csv").write_text("x", encoding="utf-8")
    old = (NOW - dt.timedelta(days=400)).timestamp()
    os.utime(stale, (old, old))

    config = write_config(root / "dangol.yaml")
    first = run_pipeline(home, config)
    assert first.published, first.problems
    assert not first.problems, first.problems
    run1 = latest_export(home)

    write_csv(
        home.landing / "crm" / "campaign_events_2.csv",
        ["Campaign ID", "Channel", "Contact ID", "Email", "Phone", "Event Type", "Occurred At"],
        [["CMP-2", "email", "", "shopyes@example.com", "", "unsubscribed",
          dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S +0000")]],
    )  # fmt: skip
    write_shop_customers(
        home.landing / "shop" / "customers_export_2.csv", SHOP_ANSWERS | {"shopnewer": "yes"}
    )
    second = run_pipeline(home, config)
    assert second.published and not second.problems, second.problems
    run2 = latest_export(home)

    exception_home = DangolHome(root=root / "home-exception", landing=home.landing)
    shutil.copytree(home.root, exception_home.root, symlinks=True)
    exception_config = write_config(root / "exception.yaml", recent_buyer_exception=True)
    third = run_pipeline(exception_home, exception_config)
    assert third.published and not third.problems, third.problems
    return home, run1, run2, latest_export(exception_home), first


@pytest.mark.parametrize("channel", ["email", "sms", "kakao"])
def test_only_people_who_opted_in_to_the_channel_are_listed(runs, channel):
    _, run1, *_ = runs
    assert listed(run1, SEGMENTS[channel]) == EXPECTED[channel]


def test_unsubscribed_and_bounced_people_are_not_listed(runs):
    _, run1, *_ = runs
    manifest = json.loads((run1 / "manifest.json").read_text(encoding="utf-8"))
    excluded = manifest["segments"][SEGMENTS["email"]]["excluded"]
    assert not listed(run1, SEGMENTS["email"]) & {"unsub", "bounce"}
    assert excluded["unsubscribed"] == 1 and excluded["bounced"] == 1


def test_the_suppression_list_applies_whatever_the_consent(runs):
    _, run1, *_ = runs
    manifest = json.loads((run1 / "manifest.json").read_text(encoding="utf-8"))
    for channel in ("email", "sms"):
        assert "suppressed" not in listed(run1, SEGMENTS[channel])
        assert manifest["segments"][SEGMENTS[channel]]["excluded"]["suppressed"] == 1
    assert manifest["suppression_list"]["entries"] == 1


def test_consent_older_than_two_years_needs_reconfirmation(runs):
    _, run1, *_ = runs
    manifest = json.loads((run1 / "manifest.json").read_text(encoding="utf-8"))
    assert "expired" not in listed(run1, SEGMENTS["email"])
    assert "reconfirmed" in listed(run1, SEGMENTS["email"])
    assert manifest["segments"][SEGMENTS["email"]]["excluded"]["consent_expired"] == 1


def test_night_sending_lists_only_people_with_night_consent(runs):
    _, run1, *_ = runs
    assert listed(run1, SEGMENTS["night_sms"]) == EXPECTED["night_sms"]
    with (run1 / f"{SEGMENTS['sms']}.csv").open(encoding="utf-8-sig") as handle:
        night = {row["phone_e164"]: row["night_consent"] for row in csv.DictReader(handle)}
    assert night == {"+821010000001": "True", "+821010000002": "False"}


def test_recent_buyer_exception_is_off_by_default_and_never_beats_a_refusal(runs):
    _, run1, _, exception_run, _ = runs
    assert "recentbuyer" not in listed(run1, SEGMENTS["email"])
    # Turned on: the buyer who never answered is listed; everyone who refused still is not.
    assert listed(exception_run, SEGMENTS["email"]) == EXPECTED_AFTER_RUN_2 | {"recentbuyer"}
    assert listed(exception_run, SEGMENTS["kakao"]) == {"optin", "recentbuyer"}


def test_the_newest_consent_fact_wins_across_sources(runs):
    _, run1, run2, *_ = runs
    # Run 1: the shop's undated yes stands alone for shopyes, loses to shopstale's dated no.
    assert "shopyes" in listed(run1, SEGMENTS["email"])
    assert not {"shopstale", "shopnewer"} & listed(run1, SEGMENTS["email"])
    # Run 2: a CRM unsubscribe beats the shop's yes; shopnewer's new yes beats an older no.
    assert listed(run2, SEGMENTS["email"]) == EXPECTED_AFTER_RUN_2


def test_lists_are_owner_only_excel_safe_files_with_a_manifest(runs):
    home, run1, run2, _, first = runs
    assert home.exports_dir.stat().st_mode & 0o777 == 0o700
    assert run1.stat().st_mode & 0o777 == 0o700
    manifest = json.loads((run2 / "manifest.json").read_text(encoding="utf-8"))
    segment = manifest["segments"][SEGMENTS["sms"]]
    for name, checksum in segment["files"].items():
        assert (run2 / name).stat().st_mode & 0o777 == 0o600
        assert hashlib.sha256((run2 / name).read_bytes()).hexdigest() == checksum
    assert (run2 / f"{SEGMENTS['sms']}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    sheet = openpyxl.load_workbook(run2 / f"{SEGMENTS['sms']}.xlsx").active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    optin = next(r for r in rows if r["phone_e164"] == "+821010000001")
    assert optin["name"] == "김민준" and optin["phone_local"] == "010-1000-0001"
    assert segment["people"] == 2 and segment["members"] == len(PEOPLE)
    assert sum(segment["excluded"].values()) == len(PEOPLE) - 2
    assert segment["definition_hash"] and manifest["run_id"] != first.run_id
    email = manifest["segments"][SEGMENTS["email"]]["diff"]
    assert email == {"previous_export": run1.name, "added": 1, "removed": 1, "stayed": 2}
    removed = (run2 / f"{SEGMENTS['email']}.removed.csv").read_text(encoding="utf-8-sig")
    assert len(removed.splitlines()) == 2  # header and the one who unsubscribed


def test_exports_older_than_the_retention_period_are_deleted(runs):
    home, *_ = runs
    assert not (home.exports_dir / "20000101T000000Z-oldrun00").exists()


def test_the_report_is_written_and_says_nothing_personal(runs):
    *_, first = runs
    report = Path(first.marketing_report).read_text(encoding="utf-8")
    assert "all_buyers_email" in report
    for person in PEOPLE:
        assert person.email not in report and person.name not in report


# A brand with only its shop's two exports (orders, customers) and no CRM file: the lists
# still hold exactly the customers who opted in, found through the shop's own records.
SHOP_ONLY = {
    # key: (customer row in the old layout or None, newer layout row or None, order email)
    "both": (("yes", "yes"), None, None),
    "emailonly": (("yes", "no"), None, None),
    "smsonly": (("no", "yes"), None, None),
    "refused": (("no", "no"), None, None),
    "guest": (None, None, None),  # bought as a guest: a contact point, never consent
    # Ordered with another email; the same phone makes them one customer.
    "otheremail": (("yes", "no"), None, "otheremail.orders@example.com"),
    # The newer layout's dated state: unsubscribed after the old export said yes.
    "unsubscribed": (("yes", ""), ("unsubscribed", ago(5), "", ""), None),
    # Subscribed three years ago, never since: consent older than two years.
    "stale": (None, ("subscribed", ago(1100), "", ""), None),
    # Double opt-in not confirmed: no consent.
    "pending": (None, ("pending", ago(3), "", ""), None),
    "datedyes": (None, ("subscribed", ago(40), "subscribed", ago(40)), None),
}
SHOP_ONLY_EXPECTED = {
    "email": {"both", "emailonly", "otheremail", "datedyes"},
    "sms": {"both", "smsonly", "datedyes"},
}


def shop_person(index: int, key: str) -> Person:
    return Person(key, "고객" + key, f"010-2000-{index:04d}")


@pytest.fixture(scope="module")
def shop_only_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("shop-only")
    home = DangolHome(root=root / "home", landing=root / "landing")
    people = [shop_person(i, key) for i, key in enumerate(SHOP_ONLY)]
    write_csv(
        home.landing / "shop" / "orders_export_1.csv",
        ORDER_HEADER,
        [
            [f"#{2000 + i}", SHOP_ONLY[p.key][2] or p.email, "paid", "KRW", "20000.00", "0.00",
             ago(20 + i), "1", "체험 세트", "20000.00", "", "0.00", str(6_000_000 + i), p.phone]
            for i, p in enumerate(people)
        ],
    )  # fmt: skip
    write_csv(
        home.landing / "shop" / "customers_export_1.csv",
        ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Phone",
         "Accepts SMS Marketing", "Total Spent", "Total Orders"],
        [
            [str(8_000 + i), p.name[1:], p.name[0], p.email, old[0], p.phone, old[1], "20000",
             "1"]
            for i, p in enumerate(people)
            if (old := SHOP_ONLY[p.key][0])
        ],
    )  # fmt: skip
    write_csv(
        home.landing / "shop" / "customers_export_2.csv",
        ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing",
         "Email Marketing Status", "Email Marketing Updated At", "Phone",
         "Accepts SMS Marketing", "SMS Marketing Status", "SMS Marketing Updated At",
         "Total Spent", "Total Orders"],
        [
            [str(8_000 + i), p.name[1:], p.name[0], p.email,
             "yes" if new[0] == "subscribed" else "no", new[0], new[1], p.phone,
             "yes" if new[2] == "subscribed" else "no", new[2], new[3], "20000", "1"]
            for i, p in enumerate(people)
            if (new := SHOP_ONLY[p.key][1])
        ],
    )  # fmt: skip
    outcome = run_pipeline(home, write_config(root / "dangol.yaml"))
    assert outcome.published and not outcome.problems, outcome.problems
    return latest_export(home), people


def test_a_shop_only_brand_lists_exactly_the_customers_who_opted_in(shop_only_run):
    folder, people = shop_only_run
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for channel, expected in SHOP_ONLY_EXPECTED.items():
        with (folder / f"{SEGMENTS[channel]}.csv").open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        found = {p.key for p in people for row in rows if p.email == row.get("email")}
        found |= {p.key for p in people for row in rows if p.e164 == row.get("phone_e164")}
        assert found == expected and len(rows) == len(expected), (channel, rows)
        # Everyone bought, and the shop's records give everyone a contact point.
        excluded = manifest["segments"][SEGMENTS[channel]]["excluded"]
        assert excluded.get("no_contact", 0) == 0, excluded
    email_rows = (folder / f"{SEGMENTS['email']}.csv").read_text(encoding="utf-8-sig")
    # The customer's own email, not the one an order happened to carry.
    assert "otheremail.orders@example.com" not in email_rows
    excluded = manifest["segments"][SEGMENTS["email"]]["excluded"]
    assert excluded["unsubscribed"] == 1 and excluded["consent_expired"] == 1, excluded

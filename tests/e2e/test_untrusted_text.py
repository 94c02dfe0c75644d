"""Untrusted text end to end: one real run (tests/conftest.py `untrusted_release`) over the
fixture exports plus hostile rows in every source a customer or shop operator types into
(CRM contacts, Shopify customers and orders, Cafe24 and SmartStore workbooks, SNS handles and
ad channels: tests/fixtures/hostile_exports.py).

What a marketer receives is then read back as they would: every XLSX cell with openpyxl (no
formula anywhere), every CSV cell with the csv module (no cell starts with a formula trigger
unless neutralised), the report in headless Chromium (markup shows as text). The run has a
failing check (a warning, so it still publishes), and afterwards no email, phone or name from
the exports is in `logs/`, `reports/` (Data Docs included) or Dagster's event log.
"""

import csv
import json
import re
import subprocess
from pathlib import Path

import duckdb
import openpyxl
import pytest

from activation.spreadsheet_cells import E164_PHONE, FORMULA_TRIGGERS
from orchestration.config import DangolHome
from orchestration.runner import RunOutcome
from tests.conftest import UntrustedRelease
from tests.fixtures.hostile_exports import HOSTILE_NAMES

pytestmark = pytest.mark.e2e
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"]


@pytest.fixture
def run(untrusted_release: UntrustedRelease) -> tuple[DangolHome, RunOutcome, Path]:
    return untrusted_release.home, untrusted_release.outcome, untrusted_release.dagster_home


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

    # The "plus" contact is also a Shopify customer, the newer record, whose name (last name
    # first) is two hostile names: that one is what the lists carry.
    shopify_name = f"{HOSTILE_NAMES['dde']} {HOSTILE_NAMES['plus']}"
    expected = {*HOSTILE_NAMES.values(), shopify_name} - {HOSTILE_NAMES["plus"]}
    assert manifest["formula_neutralisation"]["rule"] == "OWASP CSV injection"
    for channel in ("email", "sms", "kakao"):
        names = {row[0] for row in csv_cells(folder / f"everyone_{channel}.csv")[1:]}
        listed = {name for name in names if name.startswith("'")}
        assert listed == {"'" + name for name in expected}, channel
        assert manifest["segments"][f"everyone_{channel}"]["neutralised_cells"] == len(listed)
        sheet = openpyxl.load_workbook(folder / f"everyone_{channel}.xlsx").active
        typed = {
            cell.value.replace("\n", "\r") for (cell,) in sheet.iter_rows(min_row=2, max_col=1)
        }
        assert expected <= typed, channel


def test_the_report_shows_markup_as_text_in_a_real_browser(run):
    _, outcome, _ = run
    page = Path(outcome.marketing_report).read_text("utf-8")
    dom = subprocess.run(
        [*CHROMIUM, Path(outcome.marketing_report).as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip

    assert "<script" not in page and "<svg/onload" not in page
    assert "<script" not in dom and "<svg/onload" not in dom
    sections = dict(re.findall(r'<section[^>]*data-chart="(\w+)"[^>]*>(.*?)</section>', dom, re.S))
    # The segment's description (dangol.yaml) and the ad channel's name (an SNS export) are
    # in the page as the text they are.
    shown = '&lt;script&gt;alert("dangol")&lt;/script&gt;&lt;svg/onload=alert(1)&gt;'
    assert shown in sections["segments"] and shown in sections["funnel"]


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

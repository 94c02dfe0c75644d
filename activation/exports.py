"""Segment lists for marketers: the audience dbt cleared (restricted.segment_audience decides
every exclusion reason), written owner-only as CSV (UTF-8 with BOM) and XLSX, with a manifest.

Everything here reads `<home>/restricted/contacts.duckdb` and writes files under
`<home>/exports/`; nothing is written to any warehouse, so no contact point can reach BI.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import phonenumbers

from activation.segments import SegmentRule
from activation.spreadsheet_cells import NEUTRALISATION, csv_bytes, neutralised_cells, xlsx_bytes
from publish.duckdb_files import DuckDBResources, connect

MANIFEST = "manifest.json"
# Why someone in a segment is not in its list, in segment_audience's order of precedence.
EXCLUSION_REASONS = (
    "no_contact",
    "no_consent",
    "unsubscribed",
    "bounced",
    "consent_expired",
    "suppressed",
    "no_night_consent",
)
LIST_COLUMNS = {
    "email": ["name", "email"],
    "sms": ["name", "phone_e164", "phone_local"],
    "kakao": ["name", "phone_e164", "phone_local"],
}
PHONE_COLUMNS = {"phone_e164", "phone_local"}  # text cells in XLSX: the + and leading 0 stay
DETAIL_COLUMNS = [
    "segment",
    "reason",
    "rfm_segment",
    "recency_days",
    "frequency",
    "monetary",
    "night_consent",
    "consent_basis",
    "customer_id",
]


def local_phone(phone_e164: str | None) -> str | None:
    """+821012345678 -> 010-1234-5678: the form Korean marketers type and read."""
    if not phone_e164:
        return None
    number = phonenumbers.parse(phone_e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _write_owner_only(path: Path, data: bytes) -> str:
    """Owner-only from the first byte (these files hold names and contact points); sha256."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return hashlib.sha256(data).hexdigest()


@dataclass
class SegmentList:
    rule: SegmentRule
    rows: list[dict] = field(default_factory=list)  # one per person listed, by column name
    members: int = 0
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))

    @property
    def header(self) -> list[str]:
        return LIST_COLUMNS[self.rule.channel] + DETAIL_COLUMNS

    @property
    def lines(self) -> list[list]:
        return [[row[column] for column in self.header] for row in self.rows]

    @property
    def customer_ids(self) -> set[str]:
        return {row["customer_id"] for row in self.rows}


def _list_row(rule: SegmentRule, person: dict) -> dict:
    """One line of the list, as a marketer's tools read it (phones also in the local form)."""
    contact = {
        "name": person["customer_name"],
        "email": person["email"],
        "phone_e164": person["phone_e164"],
        "phone_local": local_phone(person["phone_e164"]),
    }
    monetary = person["monetary"]
    details = {
        "segment": rule.name,
        "reason": person["reason"],
        "rfm_segment": person["rfm_segment"],
        "recency_days": person["recency_days"],
        "frequency": person["frequency"],
        "monetary": float(monetary) if monetary is not None else None,
        "night_consent": bool(person["night_consent"]),
        "consent_basis": person["consent_basis"],
        "customer_id": person["customer_id"],
    }
    return contact | details


def cut_segment_list(contacts: duckdb.DuckDBPyConnection, rule: SegmentRule) -> SegmentList:
    """A segment's list as dbt decided it: the people with no exclusion reason, and how many
    of the others each reason kept out."""
    result = SegmentList(rule=rule)
    cursor = contacts.execute(
        """
        select customer_name, email, phone_e164, reason, exclusion_reason, night_consent,
            consent_basis, rfm_segment, recency_days, frequency, monetary, customer_id
        from restricted.segment_audience
        where segment_name = ? and channel = ?
        order by monetary desc nulls last, customer_id
        """,
        [rule.name, rule.channel],
    )
    names = [column[0] for column in cursor.description]
    for values in cursor.fetchall():
        person = dict(zip(names, values, strict=True))
        result.members += 1
        if person["exclusion_reason"] is None:
            result.rows.append(_list_row(rule, person))
        else:
            result.excluded[person["exclusion_reason"]] += 1
    return result


def suppression_summary(contacts: duckdb.DuckDBPyConnection, path: Path) -> dict:
    """The suppression list the run applied: where, whether it was there, how many entries."""
    (entries,) = contacts.execute(
        "select count(*) from restricted.suppressed_contact_points"
    ).fetchone()
    return {"path": str(path), "found": path.exists(), "entries": entries}


def export_manifests(exports_dir: Path) -> list[Path]:
    """The manifest of every export run kept, oldest first (folder names sort by time)."""
    return sorted(exports_dir.glob(f"*/{MANIFEST}"))


def _previous_export(exports_dir: Path, current: Path, segment: str) -> Path | None:
    """The newest earlier export run (one with a manifest) that listed this segment."""
    earlier = [m for m in export_manifests(exports_dir) if m.parent.name < current.name]
    for manifest in reversed(earlier):
        if segment in json.loads(manifest.read_text(encoding="utf-8"))["segments"]:
            return manifest.parent
    return None


def _customer_ids(list_csv: Path) -> set[str]:
    with list_csv.open(encoding="utf-8-sig", newline="") as handle:
        return {row["customer_id"] for row in csv.DictReader(handle)}


def export_run_folder(exports_dir: Path, run_id: str, now: dt.datetime) -> Path:
    """One folder per run, named so that sorting by name sorts by time."""
    return exports_dir / f"{now.strftime('%Y%m%dT%H%M%SZ')}-{run_id[:8]}"


def write_segment_exports(
    restricted_db: Path,
    folder: Path,
    run_id: str,
    release_id: str | None,
    rules: list[SegmentRule],
    suppression_list: Path,
    now: dt.datetime,
    resources: DuckDBResources,
) -> dict:
    """Write every segment's list (CSV + XLSX), the added/removed ids and manifest.json."""
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.parent.chmod(0o700)
    folder.mkdir(mode=0o700, exist_ok=True)
    manifest = {"run_id": run_id, "release_id": release_id, "created_at": now.isoformat()}
    # Customers type the names these files hold: no cell may reach Excel as a formula.
    manifest["formula_neutralisation"] = NEUTRALISATION
    with connect(restricted_db, resources, read_only=True) as contacts:
        manifest["suppression_list"] = suppression_summary(contacts, suppression_list)
        manifest["segments"] = {}
        for rule in rules:
            listed = cut_segment_list(contacts, rule)
            files = {
                f"{rule.name}.csv": csv_bytes(listed.header, listed.lines),
                f"{rule.name}.xlsx": xlsx_bytes(
                    rule.name, listed.header, listed.lines, PHONE_COLUMNS
                ),
            }
            previous = _previous_export(folder.parent, folder, rule.name)
            diff = {"previous_export": previous.name if previous else None}
            if previous is not None:
                before, now_ids = _customer_ids(previous / f"{rule.name}.csv"), listed.customer_ids
                added, removed = sorted(now_ids - before), sorted(before - now_ids)
                diff |= {"added": len(added), "removed": len(removed)}
                diff["stayed"] = len(now_ids & before)
                files[f"{rule.name}.added.csv"] = csv_bytes(["customer_id"], [[i] for i in added])
                files[f"{rule.name}.removed.csv"] = csv_bytes(
                    ["customer_id"], [[i] for i in removed]
                )
            else:
                diff |= {"added": len(listed.rows), "removed": 0, "stayed": 0}
            checksums = {
                name: _write_owner_only(folder / name, data) for name, data in files.items()
            }
            manifest["segments"][rule.name] = {
                "description": rule.description,
                "channel": rule.channel,
                "night_sending": rule.night_sending,
                "definition_hash": rule.definition_hash,
                "members": listed.members,
                "people": len(listed.rows),
                "excluded": listed.excluded,
                "neutralised_cells": neutralised_cells(listed.lines),
                "diff": diff,
                "files": checksums,
            }
    _write_owner_only(
        folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    )
    return manifest


def delete_old_exports(exports_dir: Path, retention_days: int, now: dt.datetime) -> list[str]:
    """Export folders older than the retention period are personal data kept too long."""
    if not exports_dir.exists():
        return []
    cutoff = (now - dt.timedelta(days=retention_days)).timestamp()
    deleted = []
    for folder in sorted(p for p in exports_dir.iterdir() if p.is_dir()):
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder)
            deleted.append(folder.name)
    return deleted
